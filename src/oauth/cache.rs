//! `--token-cache PATH`: the refresh token of a sign-in, kept for the next
//! run (off unless asked for).
//!
//! The file is JSON: `{"version": 1, "profile", "client_id", "token_url",
//! "scope", "refresh_token"}`, so `token --refresh` knows where to exchange
//! it. It is created with mode 0600 (written to a temporary file in the same
//! directory, then renamed, so a crash never leaves half a token), and on
//! Unix it is refused when group or others may read or write it: a refresh
//! token is a password that lasts for weeks. The access token is never
//! stored, and no function here formats the refresh token into text.

use super::authcode::{AuthCodeConfig, Profile};
use super::device::Authority;
use crate::secret::Secret;
use serde_json::{json, Value};
use std::io::Write;
use std::path::{Path, PathBuf};

/// What a cache file holds.
#[derive(Debug)]
pub struct Cached {
    pub profile: Profile,
    pub client_id: String,
    pub token_url: String,
    pub scope: String,
    pub refresh_token: Secret,
}

fn profile_name(p: Profile) -> &'static str {
    match p {
        Profile::Microsoft => "microsoft",
        Profile::Google => "google",
        Profile::Custom => "custom",
    }
}

impl Cached {
    /// The refresh grant's settings (no authorization endpoint is needed).
    pub fn config(&self) -> Result<AuthCodeConfig, String> {
        let token = Authority::parse_endpoint(&self.token_url, "token_url in the cache")?;
        Ok(AuthCodeConfig {
            profile: self.profile,
            authorization: token.clone(),
            token,
            client_id: self.client_id.clone(),
            client_secret: None,
            scope: self.scope.clone(),
            login_hint: None,
            wait: super::authcode::DEFAULT_WAIT,
        })
    }
}

/// Why the cache cannot be used.
#[derive(Debug)]
pub enum CacheError {
    /// The file does not exist (first run).
    Missing,
    /// Unusable: the reason, for a usage error.
    Refused(String),
}

/// Reads the cache; refused when others may read it.
pub fn load(path: &Path) -> Result<Cached, CacheError> {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(CacheError::Missing),
        Err(e) => return Err(CacheError::Refused(format!("{}: {e}", path.display()))),
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(CacheError::Refused(format!(
                "{} is readable or writable by others (mode {mode:03o}); it holds a refresh token: `chmod 600 {}` or delete it",
                path.display(),
                path.display()
            )));
        }
    }
    if !meta.is_file() {
        return Err(CacheError::Refused(format!(
            "{} is not a file",
            path.display()
        )));
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| CacheError::Refused(format!("{}: {e}", path.display())))?;
    let bad = || {
        CacheError::Refused(format!(
            "{} is not a smtp-doctor token cache (delete it to sign in again)",
            path.display()
        ))
    };
    let v: Value = serde_json::from_str(&text).map_err(|_| bad())?;
    let field = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    let profile = match field("profile").as_deref() {
        Some("microsoft") => Profile::Microsoft,
        Some("google") => Profile::Google,
        Some("custom") => Profile::Custom,
        _ => return Err(bad()),
    };
    match (
        field("client_id"),
        field("token_url"),
        field("scope"),
        field("refresh_token").filter(|t| !t.is_empty()),
    ) {
        (Some(client_id), Some(token_url), Some(scope), Some(refresh)) => Ok(Cached {
            profile,
            client_id,
            token_url,
            scope,
            refresh_token: Secret::new(refresh),
        }),
        _ => Err(bad()),
    }
}

/// Writes the cache (mode 0600, atomically).
pub fn store(path: &Path, cfg: &AuthCodeConfig, refresh_token: &Secret) -> Result<(), String> {
    let doc = json!({
        "version": 1,
        "profile": profile_name(cfg.profile),
        "client_id": cfg.client_id,
        "token_url": cfg.token.as_str(),
        "scope": cfg.scope,
        "refresh_token": refresh_token.expose(),
    });
    let tmp = temp_path(path);
    let write = || -> std::io::Result<()> {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut f = options.open(&tmp)?;
        f.write_all(doc.to_string().as_bytes())?;
        f.write_all(b"\n")?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        format!("--token-cache {}: {e}", path.display())
    })
}

fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "token-cache".into());
    path.with_file_name(format!(".{name}.{}.tmp", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_is_0600_and_a_readable_file_is_refused() {
        let dir = std::env::temp_dir().join(format!("smtp-doctor-cache-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("cache.json");
        let cfg = AuthCodeConfig::microsoft(None, Some("contoso.com"), "abc").unwrap();
        store(&path, &cfg, &Secret::new("0.R-marker".into())).unwrap();
        let c = load(&path).unwrap();
        assert_eq!(c.refresh_token.expose(), "0.R-marker");
        assert_eq!(c.profile, Profile::Microsoft);
        assert_eq!(c.config().unwrap().token.as_str(), cfg.token.as_str());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
            match load(&path) {
                Err(CacheError::Refused(why)) => {
                    assert!(why.contains("644") && !why.contains("R-marker"), "{why}")
                }
                other => panic!("{other:?}"),
            }
        }
        assert!(matches!(load(&dir.join("none")), Err(CacheError::Missing)));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
