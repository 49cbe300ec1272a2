//! The default Diameter identity of this machine, shared by `serve`, `send` and `load` when
//! no `--origin-host` / `--origin-realm` is given.

/// The machine's host name, as far as it can be read without a C call: the kernel's, then
/// `/etc/hostname`, then `$HOSTNAME`; `localhost` when none is set.
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}

/// The realm of `host`: what follows its first dot, or `localdomain` when that is nothing.
pub fn realm_of(host: &str) -> String {
    host.split_once('.')
        .map(|(_, d)| d.to_owned())
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| "localdomain".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn realm_is_the_domain_or_localdomain() {
        assert_eq!(realm_of("ocs.example.net"), "example.net");
        assert_eq!(realm_of("ocs"), "localdomain");
        assert_eq!(realm_of("ocs."), "localdomain");
    }
}
