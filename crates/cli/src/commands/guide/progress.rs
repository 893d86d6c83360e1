//! How each step of a guide run was done (by hand, by awslab, by `--auto`), kept in
//! `guide.json` in the run's folder beside its journal (which says which steps are
//! finished). It never holds a secret.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

/// The file's name in the run's folder.
const FILE: &str = "guide.json";

/// How a step was done.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum How {
    /// The learner did it; `check` saw it done.
    ByHand,
    /// `skip`: the executor did it.
    Skipped,
}

impl How {
    pub fn words(self) -> &'static str {
        match self {
            How::ByHand => "done by hand",
            How::Skipped => "skipped (done by awslab)",
        }
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Progress {
    /// Step to how it was done, in the order they were done.
    pub steps: IndexMap<String, How>,
    #[serde(skip)]
    path: PathBuf,
}

impl Progress {
    pub fn exists(run_dir: &Path) -> bool {
        run_dir.join(FILE).is_file()
    }

    /// The run's progress (empty for a new run).
    pub fn load(run_dir: &Path) -> Result<Self, String> {
        let path = run_dir.join(FILE);
        let mut progress: Progress = match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text)
                .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Progress::default(),
            Err(e) => return Err(format!("cannot read `{}`: {e}", path.display())),
        };
        progress.path = path;
        Ok(progress)
    }

    /// Records how `step` was done and saves the file (written whole, then renamed).
    pub fn record(&mut self, step: &str, how: How) -> Result<(), String> {
        self.steps.insert(step.to_owned(), how);
        self.save()
    }

    pub fn save(&self) -> Result<(), String> {
        let text = serde_json::to_string_pretty(self).map_err(|e| e.to_string())?;
        let temporary = self.path.with_extension("json.tmp");
        std::fs::write(&temporary, text + "\n")
            .and_then(|()| std::fs::rename(&temporary, &self.path))
            .map_err(|e| format!("cannot write `{}`: {e}", self.path.display()))
    }
}
