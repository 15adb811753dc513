//! The one way per-document work runs on every core.

use rayon::prelude::*;

/// Lists shorter than this are not worth a thread hand-off.
const PARALLEL_THRESHOLD: usize = 8;

/// `f` over `items`, in parallel, results in order. Of several errors, the
/// first in order is returned, so a run reports the same error every time.
pub fn try_map<T: Sync, U: Send, E: Send>(
    items: &[T],
    f: impl Fn(&T) -> Result<U, E> + Sync + Send,
) -> Result<Vec<U>, E> {
    if items.len() < PARALLEL_THRESHOLD {
        return items.iter().map(f).collect();
    }
    let all: Vec<Result<U, E>> = items.par_iter().map(f).collect();
    all.into_iter().collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn keeps_order_and_reports_the_first_error_in_order() {
        let items: Vec<usize> = (0..1000).collect();
        let doubled = super::try_map(&items, |i| Ok::<_, usize>(i * 2)).unwrap();
        assert_eq!(doubled, items.iter().map(|i| i * 2).collect::<Vec<_>>());
        for _ in 0..20 {
            let e = super::try_map(&items, |&i| if i % 97 == 3 { Err(i) } else { Ok(i) });
            assert_eq!(e, Err(3));
        }
    }
}
