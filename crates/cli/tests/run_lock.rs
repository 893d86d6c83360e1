//! One command at a time on a run: while another process holds the run's lock, a
//! second `up` of that run is refused (exit 2) and so is its `down` (exit 3), each
//! naming the holder; and `down --forget-foreign` records what is someone else's as
//! left on purpose, so later teardowns succeed without ever deleting it. Sandbox only.
#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

mod support;

use std::io::Write as _;

use support::{Lab, Target, text};

const PLAN: &str = r#"
name: locked
steps:
  user: { iam.user: { name: "lck-${run.id}", access_key: true } }
  profile: { aws.profile: { name: "lck-${run.id}", credentials: user } }
"#;

fn plan(lab: &Lab) -> String {
    let plan = lab.files.dir().join("locked.yaml");
    std::fs::write(&plan, PLAN).unwrap();
    plan.to_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_up_or_a_down_of_a_run_in_use_is_refused_naming_the_holder() {
    let lab = Lab::on(Target::Sandbox, "run_lock").await.unwrap();
    let plan = plan(&lab);
    let run_dir = lab.state_dir.join("runs").join("held1");
    std::fs::create_dir_all(&run_dir).unwrap();
    // This test process plays the `up` still running.
    let mut lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(run_dir.join("lock"))
        .unwrap();
    lock.try_lock().unwrap();
    write!(lock, "process 4242 (`awslab up`)").unwrap();

    let second = lab.awslab(&["up", &plan, "--run-id", "held1"]);
    let out = text(&second);
    assert_eq!(second.status.code(), Some(2), "{out}");
    assert!(
        out.contains("run `held1` is in use by process 4242 (`awslab up`)"),
        "{out}"
    );
    assert!(out.contains("choose another --run-id"), "{out}");
    assert!(
        !run_dir.join("journal.jsonl").exists(),
        "the second up wrote a journal"
    );

    drop(lock);
    let up = lab.awslab(&["up", &plan, "--run-id", "held1"]);
    assert_eq!(up.status.code(), Some(0), "{}", text(&up));
    let mut lock = std::fs::OpenOptions::new()
        .write(true)
        .open(run_dir.join("lock"))
        .unwrap();
    lock.try_lock().unwrap();
    lock.set_len(0).unwrap();
    write!(lock, "process 4243 (`awslab up`)").unwrap();
    let down = lab.awslab(&["down", "held1"]);
    let out = text(&down);
    assert_eq!(down.status.code(), Some(3), "{out}");
    assert!(
        out.contains("run `held1` is in use by process 4243 (`awslab up`)"),
        "{out}"
    );
    assert!(out.contains("wait for it to end"), "{out}");
    drop(lock);
    let down = lab.awslab(&["down", "held1"]);
    assert_eq!(down.status.code(), Some(0), "{}", text(&down));
}

#[tokio::test(flavor = "multi_thread")]
async fn forget_foreign_leaves_someone_elses_profile_on_purpose_and_later_downs_succeed() {
    let lab = Lab::on(Target::Sandbox, "forget_foreign").await.unwrap();
    let plan = plan(&lab);
    let up = lab.awslab(&["up", &plan, "--run-id", "ff1"]);
    assert_eq!(up.status.code(), Some(0), "{}", text(&up));
    // Someone replaces the profile's key with their own.
    let credentials = std::fs::read_to_string(&lab.files.credentials).unwrap();
    let start = credentials.find("[lck-ff1]").unwrap();
    let key_at = start + credentials[start..].find("aws_access_key_id = ").unwrap() + 20;
    let key_end = key_at + credentials[key_at..].find('\n').unwrap();
    let mut replaced = credentials.clone();
    replaced.replace_range(key_at..key_end, "AKIASOMEONEELSE00001");
    std::fs::write(&lab.files.credentials, &replaced).unwrap();

    let down = lab.awslab(&["down", "ff1"]);
    let out = text(&down);
    assert_eq!(down.status.code(), Some(3), "{out}");
    assert!(out.contains("--forget-foreign"), "{out}");
    let again = lab.awslab(&["down", "ff1"]);
    assert_eq!(again.status.code(), Some(3), "{}", text(&again));

    let forget = lab.awslab(&["down", "ff1", "--forget-foreign"]);
    let out = text(&forget);
    assert_eq!(forget.status.code(), Some(0), "{out}");
    assert!(
        out.contains("kept     aws profile lck-ff1: left on purpose"),
        "{out}"
    );
    assert!(
        out.contains("1 resource(s) of someone else's were left on purpose"),
        "{out}"
    );

    let later = lab.awslab(&["down", "ff1"]);
    let out = text(&later);
    assert_eq!(later.status.code(), Some(0), "{out}");
    assert!(out.contains("left on purpose"), "{out}");
    // Never deleted: the person's section is still there, byte for byte.
    let now = std::fs::read_to_string(&lab.files.credentials).unwrap();
    assert!(
        now.contains("[lck-ff1]\naws_access_key_id = AKIASOMEONEELSE00001\n"),
        "{now}"
    );
    assert_eq!(lab.inventory(), Vec::<String>::new());
}
