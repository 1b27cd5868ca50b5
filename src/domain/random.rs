//! Random strings from the operating system's generator (`ring::rand::SystemRandom`).

use ring::rand::{SecureRandom, SystemRandom};

/// The base62 alphabet used by identifiers and credentials.
pub const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Fills a fixed-size array with random bytes.
pub fn bytes<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    // SystemRandom only fails when the OS has no entropy source, which is not recoverable.
    SystemRandom::new()
        .fill(&mut out)
        .expect("the operating system's random generator failed");
    out
}

/// `n` in base62, most significant digit first, as exactly `width` characters: padded with `0`,
/// and only the lowest `width` digits when `n` needs more. Fixed-width numbers in this alphabet
/// sort as text in the order they sort as numbers.
pub fn base62_digits(mut n: u64, width: usize) -> String {
    let mut out = vec![b'0'; width];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    out.into_iter().map(char::from).collect()
}

/// A uniformly random base62 string of `len` characters (about 5.95 bits each).
pub fn base62(len: usize) -> String {
    let mut out = String::with_capacity(len);
    while out.len() < len {
        for byte in bytes::<32>() {
            // 248 = 4 * 62: rejecting larger bytes keeps every character equally likely.
            if byte < 248 && out.len() < len {
                out.push(BASE62[usize::from(byte % 62)] as char);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn base62_digits_are_fixed_width_and_sort_like_the_numbers() {
        assert_eq!(super::base62_digits(0, 3), "000");
        assert_eq!(super::base62_digits(61, 2), "0z");
        assert_eq!(super::base62_digits(62, 2), "10");
        assert_eq!(super::base62_digits(62 * 62, 2), "00");
        let texts: Vec<String> = [5u64, 61, 62, 3843, 3844, 1 << 40]
            .iter()
            .map(|&n| super::base62_digits(n, 8))
            .collect();
        assert!(texts.windows(2).all(|w| w[0] < w[1]), "{texts:?}");
    }

    #[test]
    fn base62_strings_have_the_asked_length_and_alphabet() {
        let s = super::base62(40);
        assert_eq!(s.len(), 40);
        assert!(s.bytes().all(|b| super::BASE62.contains(&b)));
        assert_ne!(super::base62(24), super::base62(24));
    }
}
