//! The compressors Python cache libraries put around a serialized value, byte for byte as they
//! write it: django-redis's zlib, lz4, zstd and lzma compressors (each with its min_length,
//! below which the value is stored as it is) and celery's result_compression. whatif measures
//! what a family would cost compressed; the bytes are checked against the real libraries'
//! output in tests/fixtures/library-layouts.json.gz.

use anyhow::Context;
use std::io::Read;

/// A compressor as django-redis configures it (`OPTIONS: {"COMPRESSOR": ...}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Compressor {
    /// `zlib.compress(value, 6)`.
    Zlib,
    /// `lz4.frame.compress(value)`: level 0, 64 KiB linked blocks, content size stored.
    Lz4,
    /// `pyzstd.compress(value)`: level 3, content size stored, no checksum.
    Zstd,
    /// `lzma.compress(value, preset=4)`: the xz container with a CRC64 check.
    Lzma,
}

/// No stored value is decompressed beyond this (a Redis string holds at most 512 MB; a
/// payload that inflates past this is not a cache value worth re-encoding).
pub const MAX_INFLATED: u64 = 256 << 20;

impl Compressor {
    pub const ALL: [Compressor; 4] = [
        Compressor::Zlib,
        Compressor::Lz4,
        Compressor::Zstd,
        Compressor::Lzma,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Compressor::Zlib => "zlib",
            Compressor::Lz4 => "lz4",
            Compressor::Zstd => "zstd",
            Compressor::Lzma => "lzma",
        }
    }

    /// django-redis's `min_length`: a value this long or shorter is stored uncompressed.
    pub fn django_min_length(self) -> usize {
        match self {
            Compressor::Lzma => 100,
            _ => 15,
        }
    }

    /// django-redis's class for `OPTIONS["COMPRESSOR"]`.
    pub fn django_class(self) -> &'static str {
        match self {
            Compressor::Zlib => "django_redis.compressors.zlib.ZlibCompressor",
            Compressor::Lz4 => "django_redis.compressors.lz4.Lz4Compressor",
            Compressor::Zstd => "django_redis.compressors.zstd.ZStdCompressor",
            Compressor::Lzma => "django_redis.compressors.lzma.LzmaCompressor",
        }
    }

    /// The level the libraries use, as said in reports.
    pub fn level(self) -> &'static str {
        match self {
            Compressor::Zlib => "level 6",
            Compressor::Lz4 => "level 0, frame",
            Compressor::Zstd => "level 3",
            Compressor::Lzma => "preset 4, xz",
        }
    }

    /// What django-redis's compressor stores for `value`: compressed when it is longer than
    /// min_length, else the value itself.
    pub fn django(self, value: &[u8]) -> Vec<u8> {
        if value.len() > self.django_min_length() {
            self.compress(value)
        } else {
            value.to_vec()
        }
    }

    /// The compressed bytes the Python call above writes.
    pub fn compress(self, data: &[u8]) -> Vec<u8> {
        match self {
            Compressor::Zlib => zlib(data, 6),
            Compressor::Lz4 => lz4_frame(data),
            Compressor::Zstd => zstd::bulk::compress(data, 3).expect("zstd level 3 is valid"),
            Compressor::Lzma => {
                let mut out = Vec::new();
                liblzma::read::XzEncoder::new(data, 4)
                    .read_to_end(&mut out)
                    .expect("compressing in memory cannot fail");
                out
            }
        }
    }

    /// The value a stored frame holds (at most [`MAX_INFLATED`] bytes).
    pub fn decompress(self, data: &[u8]) -> anyhow::Result<Vec<u8>> {
        let mut out = Vec::new();
        let n = match self {
            Compressor::Zlib => flate2::read::ZlibDecoder::new(data)
                .take(MAX_INFLATED + 1)
                .read_to_end(&mut out),
            Compressor::Lz4 => lz4::Decoder::new(data)?
                .take(MAX_INFLATED + 1)
                .read_to_end(&mut out),
            Compressor::Zstd => zstd::stream::read::Decoder::new(data)?
                .take(MAX_INFLATED + 1)
                .read_to_end(&mut out),
            Compressor::Lzma => liblzma::read::XzDecoder::new(data)
                .take(MAX_INFLATED + 1)
                .read_to_end(&mut out),
        }
        .with_context(|| format!("not a {} stream", self.name()))?;
        anyhow::ensure!(
            n as u64 <= MAX_INFLATED,
            "a {} value inflating past {} MiB",
            self.name(),
            MAX_INFLATED >> 20
        );
        Ok(out)
    }
}

/// `zlib.compress(data, level)`: zlib's own compress2 (through libz-sys, the system zlib that
/// CPython's zlib module calls too), so the deflate stream is the same byte for byte;
/// flate2's default Rust backend writes a different, equally valid, stream.
fn zlib(data: &[u8], level: i32) -> Vec<u8> {
    // SAFETY: compressBound bounds the output compress2 may write; both lengths are the
    // buffers' own, and the output is cut to the length compress2 reports.
    unsafe {
        let mut len = libz_sys::compressBound(data.len() as libz_sys::uLong);
        let mut out = vec![0u8; len as usize];
        let rc = libz_sys::compress2(
            out.as_mut_ptr(),
            &mut len,
            data.as_ptr(),
            data.len() as libz_sys::uLong,
            level,
        );
        assert_eq!(rc, libz_sys::Z_OK, "zlib refused an in-memory buffer");
        out.truncate(len as usize);
        out
    }
}

/// celery's `result_compression = "zlib"`: a marker, the content type, NUL, then
/// `zlib.compress(payload)` (celery.backends.base.compress_payload).
pub fn celery_zlib(payload: &[u8]) -> Vec<u8> {
    let mut out = CELERY_MAGIC.to_vec();
    out.extend_from_slice(b"application/x-gzip\0");
    out.extend_from_slice(&zlib(payload, 6));
    out
}

/// The marker celery puts before a compressed result.
pub const CELERY_MAGIC: &[u8] = b"\0celery-compressed\0";

/// `lz4.frame.compress(data)` with python-lz4's defaults, which call LZ4F_compressFrame: level
/// 0, content size stored, no checksums, 64 KiB blocks, linked, except that one block is
/// written independent (LZ4F_compressFrame does that when the data fits one block). The
/// same through liblz4's streaming calls, which are what lz4-sys binds (written here
/// because no crate exposes LZ4F_compressFrame or these preferences).
fn lz4_frame(data: &[u8]) -> Vec<u8> {
    use lz4::liblz4::*;
    const BLOCK: usize = 64 << 10;
    if data.is_empty() {
        // lz4.frame.compress(b"") is a frame too, but django-redis never compresses it
        // (min_length); an empty value is stored as it is.
        return Vec::new();
    }
    let prefs = LZ4FPreferences {
        frame_info: LZ4FFrameInfo {
            block_size_id: BlockSize::Max64KB,
            block_mode: if data.len() <= BLOCK {
                BlockMode::Independent
            } else {
                BlockMode::Linked
            },
            content_checksum_flag: ContentChecksum::NoChecksum,
            frame_type: FrameType::Frame,
            content_size: data.len() as u64,
            dict_id: 0,
            block_checksum_flag: BlockChecksum::NoBlockChecksum,
        },
        compression_level: 0,
        auto_flush: 1,
        favor_dec_speed: 0,
        reserved: [0; 3],
    };
    let check = |code: usize| {
        // SAFETY: LZ4F_isError only inspects the code.
        assert!(
            unsafe { LZ4F_isError(code) } == 0,
            "liblz4 refused an in-memory frame"
        );
        code
    };
    let mut ctx = LZ4FCompressionContext(std::ptr::null_mut());
    // SAFETY: the context is created, used with buffers of the bounds liblz4 asks for, and
    // freed once; every length passed is the buffer's own.
    unsafe {
        check(LZ4F_createCompressionContext(&mut ctx, LZ4F_VERSION));
        let bound = LZ4F_compressBound(data.len(), &prefs) + 32;
        let mut out = vec![0u8; bound];
        let mut n = check(LZ4F_compressBegin(ctx, out.as_mut_ptr(), out.len(), &prefs));
        n += check(LZ4F_compressUpdate(
            ctx,
            out.as_mut_ptr().add(n),
            out.len() - n,
            data.as_ptr(),
            data.len(),
            std::ptr::null(),
        ));
        n += check(LZ4F_compressEnd(
            ctx,
            out.as_mut_ptr().add(n),
            out.len() - n,
            std::ptr::null(),
        ));
        LZ4F_freeCompressionContext(ctx);
        out.truncate(n);
        out
    }
}

/// The compressor whose frame `data` starts with, as django-redis or celery stores it.
pub fn sniff(data: &[u8]) -> Option<Compressor> {
    if data.len() >= 2 && data[0] == 0x78 && matches!(data[1], 0x01 | 0x5e | 0x9c | 0xda) {
        return Some(Compressor::Zlib);
    }
    if data.starts_with(&[0x04, 0x22, 0x4d, 0x18]) {
        return Some(Compressor::Lz4);
    }
    if data.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        return Some(Compressor::Zstd);
    }
    if data.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        return Some(Compressor::Lzma);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn min_length_keeps_short_values_as_they_are() {
        for c in Compressor::ALL {
            let short = vec![b'a'; c.django_min_length()];
            assert_eq!(c.django(&short), short, "{}", c.name());
            let long = vec![b'a'; 200];
            let packed = c.django(&long);
            assert!(packed.len() < long.len(), "{}", c.name());
            assert_eq!(sniff(&packed), Some(c));
            assert_eq!(c.decompress(&packed).unwrap(), long);
        }
    }
}
