//! All integration tests, in one test binary (one link, one shared Redis helper).

mod codec_vectors;
mod decoder_fuzz;
