//! Bounded sequences for serde: a list read from a hostile file or client is refused as soon
//! as it has one element more than its bound, so the memory it can make the reader allocate
//! is the bound's, not the input's.
//!
//! `#[serde(deserialize_with = "crate::util::bounded::vec::<_, _, 100>")]` on a `Vec<T>`
//! field (`option_vec` on an `Option<Vec<T>>`).

use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{Deserializer, Error, SeqAccess, Visitor};

struct Bounded<T, const MAX: usize>(PhantomData<T>);

impl<'de, T: Deserialize<'de>, const MAX: usize> Visitor<'de> for Bounded<T, MAX> {
    type Value = Vec<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a list of at most {MAX} items")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
        // A size the input claims is never trusted beyond the bound.
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(MAX).min(4096));
        while let Some(item) = seq.next_element()? {
            if out.len() == MAX {
                return Err(A::Error::custom(format!("a list of more than {MAX} items")));
            }
            out.push(item);
        }
        Ok(out)
    }
}

/// A `Vec<T>` of at most `MAX` items.
pub fn vec<'de, D: Deserializer<'de>, T: Deserialize<'de>, const MAX: usize>(
    d: D,
) -> Result<Vec<T>, D::Error> {
    d.deserialize_seq(Bounded::<T, MAX>(PhantomData))
}

/// An `Option<Vec<T>>` of at most `MAX` items (`null` is `None`).
pub fn option_vec<'de, D: Deserializer<'de>, T: Deserialize<'de>, const MAX: usize>(
    d: D,
) -> Result<Option<Vec<T>>, D::Error> {
    Option::<BoundedSeq<T, MAX>>::deserialize(d).map(|o| o.map(|b| b.0))
}

/// A bounded list as a type of its own (for nesting: a list of bounded lists is
/// `vec::<_, BoundedSeq<T, INNER>, OUTER>`).
#[derive(Debug, Clone, PartialEq)]
pub struct BoundedSeq<T, const MAX: usize>(pub Vec<T>);

impl<'de, T: Deserialize<'de>, const MAX: usize> Deserialize<'de> for BoundedSeq<T, MAX> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        vec::<D, T, MAX>(d).map(BoundedSeq)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Two {
        #[serde(deserialize_with = "vec::<_, _, 2>")]
        v: Vec<u8>,
        #[serde(default, deserialize_with = "option_vec::<_, _, 2>")]
        o: Option<Vec<u8>>,
        #[serde(default, deserialize_with = "vec::<_, BoundedSeq<u8, 1>, 2>")]
        n: Vec<BoundedSeq<u8, 1>>,
    }

    #[test]
    fn one_item_over_the_bound_is_refused() {
        let ok: Two = serde_json::from_str(r#"{"v":[1,2],"o":[3],"n":[[1],[2]]}"#).unwrap();
        assert_eq!(ok.v, [1, 2]);
        assert_eq!(ok.o, Some(vec![3]));
        assert_eq!(ok.n.len(), 2);
        let none: Two = serde_json::from_str(r#"{"v":[],"o":null}"#).unwrap();
        assert_eq!(none.o, None);
        for bad in [
            r#"{"v":[1,2,3]}"#,
            r#"{"v":[],"o":[1,2,3]}"#,
            r#"{"v":[],"n":[[1,2]]}"#,
            r#"{"v":[],"n":[[1],[1],[1]]}"#,
        ] {
            let e = serde_json::from_str::<Two>(bad).unwrap_err().to_string();
            assert!(e.contains("more than"), "{bad}: {e}");
        }
    }
}
