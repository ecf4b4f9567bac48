//! The job graph: jobs wait only for what they `need`, never for a whole "stage".
//!
//! The planner orders jobs topologically (stable: file order among the ready ones) so the
//! plan reads naturally, and the executor starts each job the moment its needs are done.

use std::collections::HashMap;

/// A cycle among jobs, as the list of job ids that form it (first repeated at the end).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cycle(pub Vec<String>);

/// Orders jobs so that each comes after everything it needs. `needs[i]` lists the ids job
/// `i` needs; ids that name no job are ignored here (validation reports them).
pub fn topo_order(ids: &[&str], needs: &[Vec<&str>]) -> Result<Vec<usize>, Cycle> {
    let index: HashMap<&str, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    let n = ids.len();
    let mut indegree = vec![0usize; n];
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, ns) in needs.iter().enumerate() {
        let mut seen = Vec::new();
        for need in ns {
            if let Some(&j) = index.get(need) {
                if !seen.contains(&j) {
                    seen.push(j);
                    indegree[i] += 1;
                    dependents[j].push(i);
                }
            }
        }
    }
    let mut ready: std::collections::BTreeSet<usize> =
        (0..n).filter(|&i| indegree[i] == 0).collect();
    let mut order = Vec::with_capacity(n);
    while let Some(i) = ready.pop_first() {
        order.push(i);
        for &d in &dependents[i] {
            indegree[d] -= 1;
            if indegree[d] == 0 {
                ready.insert(d);
            }
        }
    }
    if order.len() == n {
        return Ok(order);
    }
    // Walk back along needs from a job left over until a job repeats: that is a cycle.
    let stuck: Vec<usize> = (0..n).filter(|&i| indegree[i] > 0).collect();
    let mut path = vec![stuck[0]];
    loop {
        let cur = *path.last().unwrap_or(&stuck[0]);
        let next = needs[cur]
            .iter()
            .filter_map(|id| index.get(id).copied())
            .find(|j| indegree[*j] > 0)
            .unwrap_or(cur);
        if let Some(pos) = path.iter().position(|&p| p == next) {
            let mut ids_in: Vec<String> = path[pos..]
                .iter()
                .rev()
                .map(|&i| ids[i].to_string())
                .collect();
            ids_in.push(ids_in[0].clone());
            return Err(Cycle(ids_in));
        }
        path.push(next);
    }
}

/// Jobs whose needs are all in `done`: what an executor may start now.
pub fn ready(ids: &[&str], needs: &[Vec<&str>], done: &[bool], started: &[bool]) -> Vec<usize> {
    (0..ids.len())
        .filter(|&i| !started[i])
        .filter(|&i| {
            needs[i]
                .iter()
                .all(|n| ids.iter().position(|id| id == n).is_none_or(|j| done[j]))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(ids: &[&str], needs: &[&[&str]]) -> Result<Vec<&'static str>, Cycle> {
        let needs: Vec<Vec<&str>> = needs.iter().map(|n| n.to_vec()).collect();
        let o = topo_order(ids, &needs)?;
        Ok(o.into_iter().map(|i| leak(ids[i])).collect())
    }

    fn leak(s: &str) -> &'static str {
        Box::leak(s.to_string().into_boxed_str())
    }

    #[test]
    fn diamond() {
        let got = order(&["d", "b", "c", "a"], &[&["b", "c"], &["a"], &["a"], &[]]).unwrap();
        assert_eq!(got, ["a", "b", "c", "d"]);
    }

    #[test]
    fn independent_chains_interleave_in_file_order() {
        // a1 → a2, b1 → b2: neither chain waits for the other.
        let got = order(&["a1", "a2", "b1", "b2"], &[&[], &["a1"], &[], &["b1"]]).unwrap();
        assert_eq!(got, ["a1", "a2", "b1", "b2"]);
        let ids = ["a1", "a2", "b1", "b2"];
        let needs: Vec<Vec<&str>> = vec![vec![], vec!["a1"], vec![], vec!["b1"]];
        // With only a1 done, a2 may start although b1 is still running: no stages.
        let now = ready(
            &ids,
            &needs,
            &[true, false, false, false],
            &[true, false, true, false],
        );
        assert_eq!(now, vec![1]);
    }

    #[test]
    fn cycles_are_named() {
        let err = order(&["a", "b", "c"], &[&["c"], &["a"], &["b"]]).unwrap_err();
        assert_eq!(err.0.len(), 4);
        assert_eq!(err.0.first(), err.0.last());
        let err = order(&["x", "a", "b"], &[&[], &["b"], &["a"]]).unwrap_err();
        assert!(
            err.0 == ["a", "b", "a"] || err.0 == ["b", "a", "b"],
            "{err:?}"
        );
    }

    #[test]
    fn unknown_and_repeated_needs_are_ignored() {
        let got = order(&["a", "b"], &[&["ghost"], &["a", "a"]]).unwrap();
        assert_eq!(got, ["a", "b"]);
    }
}
