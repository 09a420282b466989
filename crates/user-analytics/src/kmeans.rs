//! k-means clustering as scikit-learn's `KMeans` does it: k-means++ seeding with 2 + ⌊ln k⌋
//! greedy local trials, Lloyd iterations until the labels stop changing or the centroids move
//! (in total squared distance) by no more than `tol` times the mean feature variance, several
//! seeded restarts keeping the least inertia; the silhouette score; and a sweep over k.
//!
//! Distances are Euclidean; standardise features first ([`crate::scale::Standardizer`]) when
//! their units differ.
//!
//! ```
//! use youshi_user_analytics::kmeans::{silhouette_score, KMeans};
//! let points = vec![vec![0.0, 0.0], vec![0.0, 1.0], vec![10.0, 0.0], vec![10.0, 1.0]];
//! let fit = KMeans::new(2).with_seed(7).fit(&points)?;
//! assert_eq!(fit.labels[0], fit.labels[1]);
//! assert_ne!(fit.labels[0], fit.labels[2]);
//! assert!((fit.inertia - 1.0).abs() < 1e-12); // four points 0.5 from their centroids
//! assert!(silhouette_score(&points, &fit.labels)? > 0.9);
//! # Ok::<(), youshi_user_analytics::AnalyticsError>(())
//! ```

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::error::{AnalyticsError, Result};
use crate::scale::check_matrix;

/// k-means settings; [`KMeans::fit`] runs it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KMeans {
    /// Number of clusters.
    pub k: usize,
    /// Restarts from fresh k-means++ seeds; the run with the least inertia is kept (default
    /// 10).
    pub n_init: usize,
    /// Lloyd iterations allowed per run (default 300).
    pub max_iter: usize,
    /// Relative tolerance: a run stops when the centroids' total squared shift is at most
    /// `tol` × the mean of the features' variances (default 1e-4).
    pub tol: f64,
    /// Seed of the ChaCha8 generator behind the seeding (default 0).
    pub seed: u64,
}

/// The outcome of [`KMeans::fit`]: the best of the restarts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KMeansFit {
    /// The k centroids.
    pub centroids: Vec<Vec<f64>>,
    /// Each point's cluster, 0..k.
    pub labels: Vec<usize>,
    /// Points in each cluster.
    pub cluster_sizes: Vec<usize>,
    /// Sum of squared distances of the points to their centroids.
    pub inertia: f64,
    /// Lloyd iterations of the kept run.
    pub iterations: usize,
    /// Whether the kept run stopped on the tolerance (or stable labels) before `max_iter`.
    pub converged: bool,
}

fn sq_dist(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// The nearest centroid to `p` and the squared distance to it (the first on ties).
fn nearest(p: &[f64], centroids: &[Vec<f64>]) -> (usize, f64) {
    let mut best = (0, f64::INFINITY);
    for (j, c) in centroids.iter().enumerate() {
        let d = sq_dist(p, c);
        if d < best.1 {
            best = (j, d);
        }
    }
    best
}

impl KMeans {
    /// `k` clusters with scikit-learn's defaults: 10 restarts, 300 iterations, tolerance 1e-4,
    /// seed 0.
    pub fn new(k: usize) -> Self {
        KMeans {
            k,
            n_init: 10,
            max_iter: 300,
            tol: 1e-4,
            seed: 0,
        }
    }

    /// With `n` restarts.
    pub fn with_n_init(mut self, n: usize) -> Self {
        self.n_init = n;
        self
    }

    /// With at most `n` Lloyd iterations per run.
    pub fn with_max_iter(mut self, n: usize) -> Self {
        self.max_iter = n;
        self
    }

    /// With relative tolerance `tol`.
    pub fn with_tol(mut self, tol: f64) -> Self {
        self.tol = tol;
        self
    }

    /// With generator seed `seed`.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Clusters `points` (rows of equal length). Each of the `n_init` runs seeds with
    /// k-means++ and iterates Lloyd's algorithm; the run with the least inertia is returned
    /// (the earliest on ties). A cluster left empty by an iteration is re-seeded with the point
    /// farthest from its current centroid, which leaves its old cluster (the
    /// scikit-learn rule). After a run stops on the tolerance, points are re-assigned once
    /// more so that the labels match the final centroids.
    ///
    /// # Complexity
    /// O(n_init · max_iter · n · k · d) for n points of d features.
    ///
    /// # Errors
    /// [`AnalyticsError::InvalidArgument`] if k = 0, k exceeds the number of points,
    /// `n_init` or `max_iter` is 0, `tol` is negative, or the points are ragged or
    /// non-finite; [`AnalyticsError::Empty`] with no points.
    pub fn fit(&self, points: &[Vec<f64>]) -> Result<KMeansFit> {
        const OP: &str = "k-means";
        let dims = check_matrix(OP, points)?;
        let n = points.len();
        if self.k == 0 {
            return Err(AnalyticsError::invalid(OP, "k must be at least 1, got 0"));
        }
        if self.k > n {
            return Err(AnalyticsError::invalid(
                OP,
                format!("k = {} exceeds the number of points ({n})", self.k),
            ));
        }
        if self.n_init == 0 || self.max_iter == 0 {
            return Err(AnalyticsError::invalid(
                OP,
                format!(
                    "n_init ({}) and max_iter ({}) must be at least 1",
                    self.n_init, self.max_iter
                ),
            ));
        }
        if !(self.tol >= 0.0 && self.tol.is_finite()) {
            return Err(AnalyticsError::invalid(
                OP,
                format!("tolerance {} must be non-negative and finite", self.tol),
            ));
        }
        // Absolute tolerance: tol × mean over features of the population variance.
        let mut mean = vec![0.0; dims];
        for p in points {
            for (m, v) in mean.iter_mut().zip(p) {
                *m += v / n as f64;
            }
        }
        let mean_var = points.iter().map(|p| sq_dist(p, &mean)).sum::<f64>() / (n * dims) as f64;
        let tol = self.tol * mean_var;
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let mut best: Option<KMeansFit> = None;
        for _ in 0..self.n_init {
            let seeds = kmeans_plus_plus(points, self.k, &mut rng);
            let run = lloyd(points, seeds, self.max_iter, tol);
            if best.as_ref().map_or(true, |b| run.inertia < b.inertia) {
                best = Some(run);
            }
        }
        best.ok_or_else(|| AnalyticsError::invalid(OP, "no run was made"))
    }
}

impl KMeansFit {
    /// The nearest centroid of each of `points`.
    ///
    /// # Errors
    /// [`AnalyticsError::InvalidArgument`] if the points' width differs from the centroids'
    /// or a value is not finite.
    pub fn predict(&self, points: &[Vec<f64>]) -> Result<Vec<usize>> {
        const OP: &str = "k-means predict";
        if points.is_empty() {
            return Ok(Vec::new());
        }
        let dims = check_matrix(OP, points)?;
        let want = self.centroids.first().map_or(0, Vec::len);
        if dims != want {
            return Err(AnalyticsError::invalid(
                OP,
                format!("points have {dims} features, the centroids {want}"),
            ));
        }
        Ok(points
            .iter()
            .map(|p| nearest(p, &self.centroids).0)
            .collect())
    }
}

/// Index of the first cumulative sum ≥ `target` (numpy's `searchsorted`, left side),
/// clipped to the last index.
fn search_cumulative(cumulative: &[f64], target: f64) -> usize {
    cumulative
        .partition_point(|&c| c < target)
        .min(cumulative.len() - 1)
}

/// k-means++ seeding (Arthur and Vassilvitskii 2007) with scikit-learn's greedy variant: the
/// first centre is a uniformly drawn point; each next one is the best, by the resulting total
/// squared distance ("potential"), of 2 + ⌊ln k⌋ candidates drawn with probability
/// proportional to their squared distance to the nearest chosen centre.
fn kmeans_plus_plus(points: &[Vec<f64>], k: usize, rng: &mut ChaCha8Rng) -> Vec<Vec<f64>> {
    let n = points.len();
    let trials = 2 + (k as f64).ln().floor() as usize;
    let first = rng.gen_range(0..n);
    let mut centres = vec![points[first].clone()];
    let mut closest: Vec<f64> = points.iter().map(|p| sq_dist(p, &points[first])).collect();
    let mut potential: f64 = closest.iter().sum();
    while centres.len() < k {
        let mut cumulative = Vec::with_capacity(n);
        let mut acc = 0.0;
        for d in &closest {
            acc += d;
            cumulative.push(acc);
        }
        let mut best: Option<(usize, f64, Vec<f64>)> = None;
        for _ in 0..trials {
            let target = rng.gen::<f64>() * potential;
            let candidate = search_cumulative(&cumulative, target);
            let dists: Vec<f64> = points
                .iter()
                .zip(&closest)
                .map(|(p, c)| sq_dist(p, &points[candidate]).min(*c))
                .collect();
            let pot: f64 = dists.iter().sum();
            if best.as_ref().map_or(true, |b| pot < b.1) {
                best = Some((candidate, pot, dists));
            }
        }
        if let Some((candidate, pot, dists)) = best {
            centres.push(points[candidate].clone());
            closest = dists;
            potential = pot;
        }
    }
    centres
}

/// Assigns each point to its nearest centroid; returns whether any label changed.
fn assign(points: &[Vec<f64>], centroids: &[Vec<f64>], labels: &mut [usize]) -> bool {
    let mut changed = false;
    for (p, l) in points.iter().zip(labels.iter_mut()) {
        let (j, _) = nearest(p, centroids);
        if *l != j {
            *l = j;
            changed = true;
        }
    }
    changed
}

/// New centroids as the means of their points, re-seeding empty clusters.
fn update(
    points: &[Vec<f64>],
    centroids: &[Vec<f64>],
    labels: &mut [usize],
    k: usize,
) -> Vec<Vec<f64>> {
    let dims = points[0].len();
    let mut counts = vec![0usize; k];
    for &l in labels.iter() {
        counts[l] += 1;
    }
    let empty: Vec<usize> = (0..k).filter(|&j| counts[j] == 0).collect();
    if !empty.is_empty() {
        // Points farthest from their current centroid, farthest first (lowest index on ties),
        // skipping any that is the last point of its cluster.
        let mut order: Vec<(usize, f64)> = points
            .iter()
            .zip(labels.iter())
            .map(|(p, &l)| sq_dist(p, &centroids[l]))
            .enumerate()
            .collect();
        order.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let mut next = order.into_iter();
        for &j in &empty {
            for (i, _) in next.by_ref() {
                if counts[labels[i]] > 1 {
                    counts[labels[i]] -= 1;
                    labels[i] = j;
                    counts[j] = 1;
                    break;
                }
            }
        }
    }
    let mut sums = vec![vec![0.0; dims]; k];
    for (p, &l) in points.iter().zip(labels.iter()) {
        for (s, v) in sums[l].iter_mut().zip(p) {
            *s += v;
        }
    }
    sums.into_iter()
        .zip(&counts)
        .zip(centroids)
        .map(|((s, &c), old)| {
            if c == 0 {
                old.clone()
            } else {
                s.into_iter().map(|v| v / c as f64).collect()
            }
        })
        .collect()
}

/// One Lloyd run from `centroids`.
fn lloyd(
    points: &[Vec<f64>],
    mut centroids: Vec<Vec<f64>>,
    max_iter: usize,
    tol: f64,
) -> KMeansFit {
    let k = centroids.len();
    let mut labels = vec![usize::MAX; points.len()];
    let mut iterations = 0;
    let mut converged = false;
    let mut strict = false;
    for _ in 0..max_iter {
        iterations += 1;
        let changed = assign(points, &centroids, &mut labels);
        if !changed {
            // Same labels as the previous iteration: the centroids would not move.
            converged = true;
            strict = true;
            break;
        }
        let new = update(points, &centroids, &mut labels, k);
        let shift: f64 = new.iter().zip(&centroids).map(|(a, b)| sq_dist(a, b)).sum();
        centroids = new;
        if shift <= tol {
            converged = true;
            break;
        }
    }
    if !strict {
        assign(points, &centroids, &mut labels);
    }
    let mut cluster_sizes = vec![0; k];
    let mut inertia = 0.0;
    for (p, &l) in points.iter().zip(&labels) {
        cluster_sizes[l] += 1;
        inertia += sq_dist(p, &centroids[l]);
    }
    KMeansFit {
        centroids,
        labels,
        cluster_sizes,
        inertia,
        iterations,
        converged,
    }
}

/// The silhouette of each point (Rousseeuw 1987): s = (b − a) / max(a, b), where a is the
/// mean distance to the other points of its cluster and b the least mean distance to the
/// points of another cluster; a point alone in its cluster scores 0 (scikit-learn's
/// convention). Labels are arbitrary ids.
///
/// # Complexity
/// O(n² d): every pairwise distance.
///
/// # Errors
/// [`AnalyticsError::InvalidArgument`] if the labels do not match the points in number, or
/// the number of distinct labels is not between 2 and n − 1; the errors of the point checks.
pub fn silhouette_samples(points: &[Vec<f64>], labels: &[usize]) -> Result<Vec<f64>> {
    const OP: &str = "silhouette";
    check_matrix(OP, points)?;
    let n = points.len();
    if labels.len() != n {
        return Err(AnalyticsError::invalid(
            OP,
            format!("{} labels for {n} points", labels.len()),
        ));
    }
    let mut ids: Vec<usize> = labels.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let k = ids.len();
    if k < 2 || k > n - 1 {
        return Err(AnalyticsError::invalid(
            OP,
            format!(
                "needs between 2 and n - 1 = {} distinct labels, got {k}",
                n - 1
            ),
        ));
    }
    let dense: Vec<usize> = labels
        .iter()
        .map(|l| ids.binary_search(l).unwrap_or(0))
        .collect();
    let mut sizes = vec![0usize; k];
    for &l in &dense {
        sizes[l] += 1;
    }
    let mut out = Vec::with_capacity(n);
    let mut sums = vec![0.0; k];
    for i in 0..n {
        sums.iter_mut().for_each(|s| *s = 0.0);
        for j in 0..n {
            if i != j {
                sums[dense[j]] += sq_dist(&points[i], &points[j]).sqrt();
            }
        }
        let own = dense[i];
        if sizes[own] == 1 {
            out.push(0.0);
            continue;
        }
        let a = sums[own] / (sizes[own] - 1) as f64;
        let b = (0..k)
            .filter(|&c| c != own)
            .map(|c| sums[c] / sizes[c] as f64)
            .fold(f64::INFINITY, f64::min);
        let denom = a.max(b);
        out.push(if denom > 0.0 { (b - a) / denom } else { 0.0 });
    }
    Ok(out)
}

/// The mean of [`silhouette_samples`]: from −1 (wrong clusters) through 0 (overlapping) to 1
/// (compact, well separated).
///
/// # Errors
/// As [`silhouette_samples`].
pub fn silhouette_score(points: &[Vec<f64>], labels: &[usize]) -> Result<f64> {
    let s = silhouette_samples(points, labels)?;
    Ok(s.iter().sum::<f64>() / s.len() as f64)
}

/// One k of [`sweep`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepPoint {
    /// Number of clusters.
    pub k: usize,
    /// The best run's inertia.
    pub inertia: f64,
    /// Its silhouette score; `None` when it is undefined (k = 1, k = n, or fewer than two
    /// distinct clusters found).
    pub silhouette: Option<f64>,
    /// Lloyd iterations of the best run.
    pub iterations: usize,
}

/// Fits k-means for each k in `ks` (with the other settings of `base`) and reports inertia
/// and silhouette, to choose k by the elbow of the inertia or the highest silhouette.
///
/// # Complexity
/// One [`KMeans::fit`] and one O(n²) silhouette per k.
///
/// # Errors
/// The errors of [`KMeans::fit`] for the first k that fails (k = 0 or k > n, ...).
///
/// # Examples
/// ```
/// use youshi_user_analytics::kmeans::{sweep, KMeans};
/// let points: Vec<Vec<f64>> = (0..30).map(|i| vec![(i / 10) as f64 * 10.0 + (i % 10) as f64 * 0.1]).collect();
/// let table = sweep(&points, &[1, 2, 3, 4], &KMeans::new(1))?;
/// let best = table.iter().filter_map(|p| p.silhouette.map(|s| (p.k, s)))
///     .max_by(|a, b| a.1.total_cmp(&b.1)).unwrap();
/// assert_eq!(best.0, 3);
/// assert!(table[0].inertia > table[1].inertia && table[1].inertia > table[2].inertia);
/// # Ok::<(), youshi_user_analytics::AnalyticsError>(())
/// ```
pub fn sweep(points: &[Vec<f64>], ks: &[usize], base: &KMeans) -> Result<Vec<SweepPoint>> {
    ks.iter()
        .map(|&k| {
            let fit = KMeans { k, ..base.clone() }.fit(points)?;
            let distinct = fit.cluster_sizes.iter().filter(|&&s| s > 0).count();
            let silhouette = if distinct >= 2 && distinct < points.len() {
                Some(silhouette_score(points, &fit.labels)?)
            } else {
                None
            };
            Ok(SweepPoint {
                k,
                inertia: fit.inertia,
                silhouette,
                iterations: fit.iterations,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    /// Written by `tests/fixtures/kmeans.py` with scikit-learn.
    #[derive(Deserialize)]
    struct Fixture {
        points: Vec<Vec<f64>>,
        k: usize,
        inertia: f64,
        labels: Vec<usize>,
        silhouette: f64,
        silhouette_samples: Vec<f64>,
        random_labels: Vec<usize>,
        random_silhouette: f64,
    }

    fn fixture() -> Fixture {
        serde_json::from_str(include_str!("../tests/fixtures/kmeans.json")).unwrap()
    }

    #[test]
    fn hand_checked_one_dimensional() {
        // 0, 1 | 10, 11: centroids 0.5 and 10.5, inertia 4 × 0.25.
        let pts: Vec<Vec<f64>> = [0.0, 1.0, 10.0, 11.0].iter().map(|&v| vec![v]).collect();
        let fit = KMeans::new(2).with_seed(3).fit(&pts).unwrap();
        assert!((fit.inertia - 1.0).abs() < 1e-12);
        let mut c: Vec<f64> = fit.centroids.iter().map(|c| c[0]).collect();
        c.sort_by(f64::total_cmp);
        assert_eq!(c, vec![0.5, 10.5]);
        assert_eq!(fit.cluster_sizes, vec![2, 2]);
        assert!(fit.converged);
        // Silhouettes: point 0 has a = 1, b = (10 + 11)/2 → 9.5/10.5; point 1 has a = 1,
        // b = (9 + 10)/2 → 8.5/9.5; 10 and 11 mirror them.
        let s = silhouette_samples(&pts, &fit.labels).unwrap();
        let want = [9.5 / 10.5, 8.5 / 9.5, 8.5 / 9.5, 9.5 / 10.5];
        for (g, w) in s.iter().zip(want) {
            assert!((g - w).abs() < 1e-15, "{s:?}");
        }
        assert_eq!(
            fit.predict(&[vec![2.0], vec![8.0]]).unwrap()[0],
            fit.labels[0]
        );
        assert_eq!(fit.predict(&[vec![8.0]]).unwrap()[0], fit.labels[3]);
    }

    #[test]
    fn singleton_cluster_scores_zero() {
        let pts: Vec<Vec<f64>> = [0.0, 1.0, 10.0].iter().map(|&v| vec![v]).collect();
        let s = silhouette_samples(&pts, &[4, 4, 9]).unwrap();
        assert_eq!(s[2], 0.0);
        assert!((s[0] - 0.9).abs() < 1e-15 && (s[1] - 8.0 / 9.0).abs() < 1e-15);
        let mean = silhouette_score(&pts, &[4, 4, 9]).unwrap();
        assert!((mean - (0.9 + 8.0 / 9.0) / 3.0).abs() < 1e-15);
    }

    #[test]
    fn matches_scikit_learn() {
        let f = fixture();
        let fit = KMeans::new(f.k).with_seed(1).fit(&f.points).unwrap();
        assert!(
            (fit.inertia - f.inertia).abs() <= 1e-9 * f.inertia,
            "{} vs {}",
            fit.inertia,
            f.inertia
        );
        // The same partition, up to the names of the clusters.
        for i in 0..f.points.len() {
            for j in 0..f.points.len() {
                assert_eq!(fit.labels[i] == fit.labels[j], f.labels[i] == f.labels[j]);
            }
        }
        let s = silhouette_samples(&f.points, &f.labels).unwrap();
        for (g, w) in s.iter().zip(&f.silhouette_samples) {
            assert!((g - w).abs() < 1e-12);
        }
        let score = silhouette_score(&f.points, &f.labels).unwrap();
        assert!((score - f.silhouette).abs() < 1e-12);
        let r = silhouette_score(&f.points, &f.random_labels).unwrap();
        assert!((r - f.random_silhouette).abs() < 1e-12);
    }

    #[test]
    fn seeding_is_reproducible_and_restarts_keep_the_best() {
        let f = fixture();
        let one = KMeans::new(5).with_n_init(1);
        let a = one.clone().with_seed(9).fit(&f.points).unwrap();
        let b = one.clone().with_seed(9).fit(&f.points).unwrap();
        assert_eq!(a, b);
        let many = KMeans::new(5)
            .with_n_init(8)
            .with_seed(9)
            .fit(&f.points)
            .unwrap();
        assert!(many.inertia <= a.inertia);
        // Each of the 8 runs alone is no better than the kept one.
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        for _ in 0..8 {
            let seeds = kmeans_plus_plus(&f.points, 5, &mut rng);
            assert!(lloyd(&f.points, seeds, 300, 0.0).inertia >= many.inertia);
        }
    }

    #[test]
    fn duplicate_points_and_empty_clusters() {
        // Three distinct locations, k = 3, many duplicates: seeding may pick a duplicate
        // centre; every cluster ends non-empty and inertia 0.
        let mut pts = vec![vec![0.0, 0.0]; 5];
        pts.extend(vec![vec![5.0, 5.0]; 5]);
        pts.push(vec![9.0, 0.0]);
        for seed in 0..20 {
            let fit = KMeans::new(3)
                .with_seed(seed)
                .with_n_init(1)
                .fit(&pts)
                .unwrap();
            assert!(fit.inertia < 1e-24, "seed {seed}: {fit:?}");
            assert!(fit.cluster_sizes.iter().all(|&s| s > 0));
        }
        // Forcing an empty cluster: two centroids on one side, none on the other.
        let line: Vec<Vec<f64>> = [0.0, 0.1, 0.2, 10.0].iter().map(|&v| vec![v]).collect();
        let mut labels = vec![0, 0, 0, 0];
        let c = update(&line, &[vec![2.575], vec![-50.0]], &mut labels, 2);
        assert_eq!(labels, vec![0, 0, 0, 1]);
        assert!((c[0][0] - 0.1).abs() < 1e-15 && c[1][0] == 10.0);
    }

    #[test]
    fn sweep_reports_each_k() {
        let f = fixture();
        let table = sweep(&f.points, &[1, 2, f.k, 6], &KMeans::new(1).with_seed(2)).unwrap();
        assert_eq!(table.len(), 4);
        assert!(table[0].silhouette.is_none());
        assert!(table.windows(2).all(|w| w[0].inertia > w[1].inertia));
        let best = table
            .iter()
            .filter_map(|p| p.silhouette.map(|s| (p.k, s)))
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap();
        assert_eq!(best.0, f.k);
        assert!(serde_json::to_string(&table)
            .unwrap()
            .contains("\"silhouette\":null"));
    }

    #[test]
    fn errors_are_typed_with_values() {
        let pts = vec![vec![0.0], vec![1.0], vec![2.0]];
        let e = KMeans::new(4).fit(&pts).unwrap_err().to_string();
        assert!(e.contains("k = 4 exceeds the number of points (3)"), "{e}");
        let e = KMeans::new(0).fit(&pts).unwrap_err().to_string();
        assert!(e.contains("k must be at least 1, got 0"), "{e}");
        let e = KMeans::new(2)
            .with_n_init(0)
            .fit(&pts)
            .unwrap_err()
            .to_string();
        assert!(e.contains("n_init (0)"), "{e}");
        let e = KMeans::new(2)
            .with_tol(-1.0)
            .fit(&pts)
            .unwrap_err()
            .to_string();
        assert!(e.contains("tolerance -1"), "{e}");
        let e = KMeans::new(1).fit(&[]).unwrap_err().to_string();
        assert!(e.contains("no points"), "{e}");
        let e = silhouette_score(&pts, &[0, 0, 0]).unwrap_err().to_string();
        assert!(
            e.contains("between 2 and n - 1 = 2 distinct labels, got 1"),
            "{e}"
        );
        let e = silhouette_score(&pts, &[0, 1, 2]).unwrap_err().to_string();
        assert!(e.contains("got 3"), "{e}");
        let e = silhouette_score(&pts, &[0, 1]).unwrap_err().to_string();
        assert!(e.contains("2 labels for 3 points"), "{e}");
        let fit = KMeans::new(2).fit(&pts).unwrap();
        let e = fit.predict(&[vec![1.0, 2.0]]).unwrap_err().to_string();
        assert!(e.contains("points have 2 features, the centroids 1"), "{e}");
        let e = sweep(&pts, &[2, 5], &KMeans::new(1))
            .unwrap_err()
            .to_string();
        assert!(e.contains("k = 5 exceeds"), "{e}");
    }
}
