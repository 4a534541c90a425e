//! Engine tests (Redis 8.6, Valkey 9.1) are compiled as ignored, with the reason, when
//! REDISADV_SKIP_ENGINE_TESTS=1 is set for the build (`cargo test` builds and runs with the
//! same environment), so the test summary counts them as ignored instead of passing them.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(skip_engine_tests)");
    println!("cargo::rerun-if-env-changed=REDISADV_SKIP_ENGINE_TESTS");
    println!("cargo::rerun-if-changed=build.rs");
    if std::env::var("REDISADV_SKIP_ENGINE_TESTS").as_deref() == Ok("1") {
        println!("cargo::rustc-cfg=skip_engine_tests");
    }
}
