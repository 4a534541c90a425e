//! The payload RESTORE takes, as DUMP writes it: the serialized object (type byte and value,
//! exactly as in the RDB file), the RDB version in two little-endian bytes, and the CRC64
//! (Jones polynomial, as Redis computes it; the `crc64` crate is Redis's own table) of all
//! that, in eight little-endian bytes. A value never needs decoding to be restored.

/// `object` (type byte + value) wrapped as a DUMP payload of RDB version `version`.
pub fn dump_payload(object: &[u8], version: u16) -> Vec<u8> {
    let mut out = Vec::with_capacity(object.len() + 10);
    out.extend_from_slice(object);
    out.extend_from_slice(&version.to_le_bytes());
    let crc = crc64::crc64(0, &out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_check_value_of_redis_crc64() {
        // crc64.c's own self test: "123456789" gives 0xe9c6d914c4b8d9ca.
        assert_eq!(crc64::crc64(0, b"123456789"), 0xe9c6_d914_c4b8_d9ca);
    }
}
