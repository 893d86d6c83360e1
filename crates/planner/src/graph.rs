//! The step graph: petgraph nodes for steps, edges from each dependency to its
//! dependents. Cycles are reported whole, with an edge that would break them; an
//! acyclic graph is sealed into a [`SealedPlan`] whose levels are the run order and
//! whose reverse is the teardown order.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;

use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::plan::{Plan, Step, StepId};
use crate::references::{Because, Dependency};
use crate::source::Span;

/// An edge: why the target waits for the source, and where that is written.
#[derive(Debug, Clone)]
pub struct Edge {
    pub because: Because,
    pub span: Span,
}

/// Builds the graph; returns `None` (after reporting each cycle) if it has cycles.
pub fn build(
    diags: &mut Diagnostics,
    plan: &Plan,
    dependencies: &[Dependency],
) -> Option<(DiGraph<StepId, Edge>, IndexMap<StepId, NodeIndex>)> {
    let mut graph = DiGraph::new();
    let mut index = IndexMap::new();
    for id in plan.steps.keys() {
        index.insert(id.clone(), graph.add_node(id.clone()));
    }
    for d in dependencies {
        let (Some(&from), Some(&to)) = (index.get(&d.on), index.get(&d.step)) else {
            continue;
        };
        // Keep one edge per pair, the first written.
        if graph.find_edge(from, to).is_none() {
            graph.add_edge(
                from,
                to,
                Edge {
                    because: d.because.clone(),
                    span: d.span,
                },
            );
        }
    }
    let mut acyclic = true;
    let mut components = tarjan_scc(&graph);
    components.sort_by_key(|c| c.iter().map(|n| n.index()).min());
    for component in components {
        if component.len() < 2 {
            continue;
        }
        acyclic = false;
        report_cycle(diags, plan, &graph, &component);
    }
    acyclic.then_some((graph, index))
}

/// Finds a cycle through the component's first step (in plan order) and reports it.
fn report_cycle(
    diags: &mut Diagnostics,
    plan: &Plan,
    graph: &DiGraph<StepId, Edge>,
    component: &[NodeIndex],
) {
    let Some(&start) = component.iter().min_by_key(|n| n.index()) else {
        return;
    };
    // Walk "needs" direction (target -> source) inside the component back to start.
    let mut path = vec![start];
    let mut seen = vec![start];
    if !walk(graph, component, start, start, &mut path, &mut seen) {
        return;
    }
    let names: Vec<&str> = path.iter().map(|&n| graph[n].as_str()).collect();
    let chain = names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(" needs ");
    // The edge to break: the last edge, from the last step back to the start, unless
    // it is an identity (`as:`, `credentials:`): then the last `needs:` entry or
    // reference of the cycle, which can be removed without changing who acts.
    let rank = |because: &Because| match because {
        Because::Needs | Because::Reference(_) => 0,
        Because::Identity | Because::MfaDevice => 1,
    };
    let Some((dependent, dependency, edge)) = path
        .windows(2)
        .rev()
        .filter_map(|pair| {
            let (dependent, dependency) = (pair[0], pair[1]);
            graph
                .find_edge(dependency, dependent)
                .map(|e| (dependent, dependency, &graph[e]))
        })
        .min_by_key(|(_, _, edge)| rank(&edge.because))
    else {
        return;
    };
    let how = match &edge.because {
        Because::Reference(text) => format!("remove `{text}` from step `{}`", graph[dependent]),
        Because::Identity => format!("make step `{}` act as another identity", graph[dependent]),
        Because::MfaDevice => format!("remove `mfa` from step `{}`", graph[dependent]),
        Because::Needs => format!(
            "remove `{}` from the `needs` of step `{}`",
            graph[dependency], graph[dependent]
        ),
    };
    let step_span = plan
        .steps
        .get(&graph[start])
        .map_or(edge.span, |s: &Step| s.id_span);
    let at = diags_locate(diags, edge.span);
    diags
        .error(
            "plan::cycle",
            step_span,
            format!("steps form a cycle: {chain}"),
        )
        .label("this step waits for itself")
        .related(edge.span, "breaking this dependency breaks the cycle")
        .help(format!("{how} (at {at})"))
        .emit();
}

fn diags_locate(diags: &Diagnostics, span: Span) -> String {
    diags.file().locate(span)
}

fn walk(
    graph: &DiGraph<StepId, Edge>,
    component: &[NodeIndex],
    start: NodeIndex,
    at: NodeIndex,
    path: &mut Vec<NodeIndex>,
    seen: &mut Vec<NodeIndex>,
) -> bool {
    // Dependencies of `at` are the sources of its incoming edges.
    let mut next: Vec<NodeIndex> = graph
        .edges_directed(at, petgraph::Direction::Incoming)
        .map(|e| e.source())
        .filter(|n| component.contains(n))
        .collect();
    next.sort_by_key(|n| n.index());
    for n in next {
        if n == start {
            path.push(n);
            return true;
        }
        if seen.contains(&n) {
            continue;
        }
        seen.push(n);
        path.push(n);
        if walk(graph, component, start, n, path, seen) {
            return true;
        }
        path.pop();
    }
    false
}

/// A checked plan with an acyclic step graph; the only thing the executor runs.
#[derive(Debug, Clone)]
pub struct SealedPlan {
    pub plan: Plan,
    pub path: PathBuf,
    graph: DiGraph<StepId, Edge>,
    index: IndexMap<StepId, NodeIndex>,
    levels: Vec<Vec<StepId>>,
    /// Warnings found while checking (errors prevent sealing).
    pub warnings: Vec<Diagnostic>,
}

impl SealedPlan {
    pub(crate) fn seal(
        plan: Plan,
        path: PathBuf,
        graph: DiGraph<StepId, Edge>,
        index: IndexMap<StepId, NodeIndex>,
        warnings: Vec<Diagnostic>,
    ) -> Self {
        let mut level: IndexMap<StepId, usize> = IndexMap::new();
        // Plan order is a valid order to visit only if dependencies come first, so
        // compute levels by repeated relaxation over a topological order.
        let order = petgraph::algo::toposort(&graph, None).unwrap_or_default();
        for n in order {
            let l = graph
                .edges_directed(n, petgraph::Direction::Incoming)
                .filter_map(|e| level.get(&graph[e.source()]).map(|l| l + 1))
                .max()
                .unwrap_or(0);
            level.insert(graph[n].clone(), l);
        }
        let depth = level.values().max().map_or(0, |m| m + 1);
        let mut levels = vec![Vec::new(); depth];
        for id in plan.steps.keys() {
            if let Some(&l) = level.get(id) {
                levels[l].push(id.clone());
            }
        }
        SealedPlan {
            plan,
            path,
            graph,
            index,
            levels,
            warnings,
        }
    }

    pub(crate) fn with_warnings(mut self, warnings: Vec<Diagnostic>) -> Self {
        self.warnings = warnings;
        self
    }

    /// The plan file's directory, against which template and body files resolve.
    pub fn base_dir(&self) -> &Path {
        self.path.parent().unwrap_or_else(|| Path::new("."))
    }

    /// Groups of steps that may run together, in run order.
    pub fn levels(&self) -> &[Vec<StepId>] {
        &self.levels
    }

    /// Every step in run order (level by level, plan order within a level).
    pub fn order(&self) -> impl Iterator<Item = &StepId> {
        self.levels.iter().flatten()
    }

    /// Teardown groups: the run order reversed.
    pub fn teardown_levels(&self) -> Vec<Vec<StepId>> {
        self.levels.iter().rev().cloned().collect()
    }

    pub fn step(&self, id: &StepId) -> Option<&Step> {
        self.plan.steps.get(id)
    }

    /// The steps `id` waits for, in plan order.
    pub fn dependencies(&self, id: &StepId) -> Vec<&StepId> {
        self.neighbours(id, petgraph::Direction::Incoming)
    }

    /// The steps that wait for `id`, in plan order.
    pub fn dependents(&self, id: &StepId) -> Vec<&StepId> {
        self.neighbours(id, petgraph::Direction::Outgoing)
    }

    fn neighbours(&self, id: &StepId, direction: petgraph::Direction) -> Vec<&StepId> {
        let Some(&n) = self.index.get(id) else {
            return Vec::new();
        };
        let mut out: Vec<NodeIndex> = self.graph.neighbors_directed(n, direction).collect();
        out.sort_by_key(|n| n.index());
        out.dedup();
        out.into_iter().map(|n| &self.graph[n]).collect()
    }

    /// Every edge as `(dependency, dependent, why)`, in plan order of the dependent.
    pub fn edges(&self) -> Vec<(&StepId, &StepId, &Edge)> {
        let mut edges: Vec<_> = self
            .graph
            .edge_references()
            .map(|e| {
                (
                    e.target().index(),
                    e.source().index(),
                    (&self.graph[e.source()], &self.graph[e.target()], e.weight()),
                )
            })
            .collect();
        edges.sort_by_key(|(t, s, _)| (*t, *s));
        edges.into_iter().map(|(_, _, e)| e).collect()
    }

    /// True if `later` transitively depends on `earlier`.
    pub fn depends_on(&self, later: &StepId, earlier: &StepId) -> bool {
        match (self.index.get(earlier), self.index.get(later)) {
            (Some(&a), Some(&b)) => petgraph::algo::has_path_connecting(&self.graph, a, b, None),
            _ => false,
        }
    }
}
