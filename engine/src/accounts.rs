//! Accounts and roles: API tokens issued by an administrator, stored hashed
//! (Argon2id) in `accounts.json` in the data directory.
//!
//! A token is `emkg_<id>_<secret>`: the id (8 hex digits) finds the account
//! without trying every hash, the secret (64 hex digits, 256 random bits) is
//! what the hash protects. A token is shown once, when it is created; the
//! store keeps only its hash. There is no self-registration: accounts come
//! from `emkg users add` or, once, from the server's first start on an empty
//! store (an administrator token printed to its console).

use crate::store::write_atomic;
use crate::{EngineError, Result};
use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

pub const FILE: &str = "accounts.json";

/// What an account may do; each role includes the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Search, ask, verify, read.
    Viewer,
    /// + assessments, reports, memos.
    Operator,
    /// + ingest, delete, accounts.
    Admin,
}

impl Role {
    pub fn parse(s: &str) -> Result<Role> {
        match s {
            "viewer" => Ok(Role::Viewer),
            "operator" => Ok(Role::Operator),
            "admin" => Ok(Role::Admin),
            _ => Err(EngineError::BadQuery(format!(
                "角色“{s}”无效，应为 viewer、operator 或 admin"
            ))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Operator => "operator",
            Role::Admin => "admin",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Viewer => "查询用户",
            Role::Operator => "值班操作员",
            Role::Admin => "管理员",
        }
    }
}

/// One account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Account {
    pub id: String,
    pub name: String,
    pub role: Role,
    /// Argon2id PHC string of the token's secret.
    pub hash: String,
    /// Unix seconds.
    pub created: u64,
    #[serde(default)]
    pub revoked: bool,
    /// The highest document label it may read; `None`: by role (viewer
    /// 公开, operator and admin 内部).
    #[serde(default)]
    pub clearance: Option<crate::access::Access>,
}

impl Account {
    /// The highest document label this account may read.
    pub fn clearance(&self) -> crate::access::Access {
        use crate::access::Access;
        self.clearance.unwrap_or(match self.role {
            Role::Viewer => Access::Public,
            Role::Operator | Role::Admin => Access::Internal,
        })
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct File {
    accounts: Vec<Account>,
}

/// The account store of a data directory.
#[derive(Debug)]
pub struct Accounts {
    path: PathBuf,
    file: File,
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A token's id and secret, if it has the shape of one.
fn split_token(token: &str) -> Option<(&str, &str)> {
    let rest = token.strip_prefix("emkg_")?;
    let (id, secret) = rest.split_once('_')?;
    let ok = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
    (ok(id, 8) && ok(secret, 64)).then_some((id, secret))
}

impl Accounts {
    /// Opens the store of `data_dir` (empty when the file does not exist).
    pub fn open(data_dir: &Path) -> Result<Accounts> {
        let path = data_dir.join(FILE);
        let file = match std::fs::read(&path) {
            Ok(b) => serde_json::from_slice(&b).map_err(|e| EngineError::Corrupt {
                path: path.clone(),
                reason: e.to_string(),
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => File::default(),
            Err(source) => return Err(EngineError::Io { path, source }),
        };
        Ok(Accounts { path, file })
    }

    /// A store with no accounts (what a server falls back to when the file
    /// cannot be read: it admits no one).
    pub fn empty(data_dir: &Path) -> Accounts {
        Accounts {
            path: data_dir.join(FILE),
            file: File::default(),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Accounts not revoked.
    pub fn active(&self) -> impl Iterator<Item = &Account> {
        self.file.accounts.iter().filter(|a| !a.revoked)
    }

    pub fn all(&self) -> &[Account] {
        &self.file.accounts
    }

    /// Creates an account and returns its token (shown once, never stored).
    /// `clearance`: the highest label it may read (`None`: by role).
    pub fn add(
        &mut self,
        name: &str,
        role: Role,
        clearance: Option<crate::access::Access>,
    ) -> Result<String> {
        let _lock = self.lock()?;
        self.reload()?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
            return Err(EngineError::BadQuery(
                "账户名应为1到64个字符，且不含控制字符".into(),
            ));
        }
        if self.active().any(|a| a.name == name) {
            return Err(EngineError::BadQuery(format!(
                "账户“{name}”已存在；如需新令牌，请先吊销旧账户"
            )));
        }
        let mut id_bytes = [0u8; 4];
        let mut secret = [0u8; 32];
        let mut id;
        loop {
            OsRng.fill_bytes(&mut id_bytes);
            id = hex(&id_bytes);
            if !self.file.accounts.iter().any(|a| a.id == id) {
                break;
            }
        }
        OsRng.fill_bytes(&mut secret);
        let secret = hex(&secret);
        let salt = SaltString::generate(&mut OsRng);
        let hash = Argon2::default()
            .hash_password(secret.as_bytes(), &salt)
            .map_err(|e| EngineError::Unavailable(format!("无法生成令牌摘要：{e}")))?
            .to_string();
        self.file.accounts.push(Account {
            id: id.clone(),
            name: name.to_string(),
            role,
            hash,
            created: now(),
            revoked: false,
            clearance,
        });
        self.save()?;
        Ok(format!("emkg_{id}_{secret}"))
    }

    /// Revokes the account named `name`; false when there is none.
    pub fn revoke(&mut self, name: &str) -> Result<bool> {
        let _lock = self.lock()?;
        self.reload()?;
        let mut any = false;
        for a in self
            .file
            .accounts
            .iter_mut()
            .filter(|a| a.name == name && !a.revoked)
        {
            a.revoked = true;
            any = true;
        }
        if any {
            self.save()?;
        }
        Ok(any)
    }

    /// The account a token belongs to, if the token is valid and not revoked.
    pub fn verify(&self, token: &str) -> Option<&Account> {
        let (id, secret) = split_token(token.trim())?;
        let a = self.active().find(|a| a.id == id)?;
        let parsed = PasswordHash::new(&a.hash).ok()?;
        Argon2::default()
            .verify_password(secret.as_bytes(), &parsed)
            .ok()
            .map(|_| a)
    }

    /// Two `emkg users` at once must not lose an account: changes are
    /// made under an exclusive lock on `accounts.lock`, on the file as it is
    /// then.
    fn lock(&self) -> Result<std::fs::File> {
        let p = self.path.with_file_name("accounts.lock");
        let io = |source| EngineError::Io {
            path: p.clone(),
            source,
        };
        let f = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&p)
            .map_err(io)?;
        f.lock().map_err(io)?;
        Ok(f)
    }

    fn reload(&mut self) -> Result<()> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        self.file = Accounts::open(dir)?.file;
        Ok(())
    }

    fn save(&self) -> Result<()> {
        let bytes = serde_json::to_vec_pretty(&self.file)
            .map_err(|e| EngineError::Unavailable(format!("无法保存账户：{e}")))?;
        write_atomic(&self.path, &bytes)?;
        // Hashes only, but still nobody else's to read.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&self.path, std::fs::Permissions::from_mode(0o600)).map_err(
                |source| EngineError::Io {
                    path: self.path.clone(),
                    source,
                },
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn tokens_are_issued_hashed_verified_and_revoked() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Accounts::open(dir.path()).unwrap();
        let t = s.add("值班员甲", Role::Operator, None).unwrap();
        assert!(split_token(&t).is_some(), "{t}");
        // Only the hash is stored.
        let raw = std::fs::read_to_string(dir.path().join(FILE)).unwrap();
        let secret = t.rsplit('_').next().unwrap();
        assert!(!raw.contains(secret));
        assert!(raw.contains("$argon2id$"));
        // A fresh open verifies it; a changed token does not.
        let s2 = Accounts::open(dir.path()).unwrap();
        assert_eq!(s2.verify(&t).map(|a| a.role), Some(Role::Operator));
        let mut bad = t.clone();
        bad.pop();
        bad.push(if t.ends_with('0') { '1' } else { '0' });
        assert!(s2.verify(&bad).is_none());
        assert!(s2.verify("emkg_zz_zz").is_none());
        assert!(s.add("值班员甲", Role::Viewer, None).is_err());
        let v = s
            .add("宣教员", Role::Viewer, None)
            .and_then(|_| {
                s.add(
                    "执法员",
                    Role::Viewer,
                    Some(crate::access::Access::Internal),
                )
            })
            .map(|_| s.all().to_vec())
            .unwrap();
        let of = |n: &str| v.iter().find(|a| a.name == n).unwrap().clearance();
        assert_eq!(of("宣教员"), crate::access::Access::Public);
        assert_eq!(of("执法员"), crate::access::Access::Internal);
        assert_eq!(of("值班员甲"), crate::access::Access::Internal);
        assert!(s.revoke("值班员甲").unwrap());
        assert!(Accounts::open(dir.path()).unwrap().verify(&t).is_none());
        assert!(!s.revoke("不存在").unwrap());
        assert!(Role::parse("root").is_err());
        assert!(Role::Admin > Role::Operator && Role::Operator > Role::Viewer);
    }
}
