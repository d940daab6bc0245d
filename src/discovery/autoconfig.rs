//! Reading the answers of the HTTP sources: Thunderbird's autoconfig format
//! (`config-v1.1.xml`, served by providers, by web hosts and by the ISPDB)
//! and Outlook's Autodiscover POX answer.
//!
//! Hostile XML is refused, not survived: roxmltree rejects any DTD (so no
//! entity is ever expanded: an XML bomb is one clear error) and stops after
//! [`NODES_LIMIT`] nodes; the body is already capped by `net::http`.

use crate::endpoint::TlsMode;

/// More nodes than any real config file has (Thunderbird's biggest ISPDB
/// entries have a few hundred).
const NODES_LIMIT: u32 = 20_000;

/// One SMTP server a config file names, placeholders filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Outgoing {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    /// The user name, `%EMAILADDRESS%` etc. replaced (None: not given).
    pub username: Option<String>,
    /// `<authentication>` values in file order (`password-cleartext`, `OAuth2`…).
    pub authentication: Vec<String>,
}

fn parse(xml: &str) -> Result<roxmltree::Document<'_>, String> {
    let opts = roxmltree::ParsingOptions {
        allow_dtd: false,
        nodes_limit: NODES_LIMIT,
    };
    roxmltree::Document::parse_with_options(xml, opts).map_err(|e| match e {
        roxmltree::Error::DtdDetected => {
            "refused: the XML has a DTD (entities are never expanded)".to_string()
        }
        roxmltree::Error::NodesLimitReached => {
            format!("refused: more than {NODES_LIMIT} XML nodes")
        }
        e => format!("malformed XML: {e}"),
    })
}

/// Fills in `%EMAILADDRESS%`, `%EMAILLOCALPART%`, `%EMAILDOMAIN%`.
fn fill(s: &str, address: Option<&str>, domain: &str) -> String {
    let local = address.and_then(|a| a.rsplit_once('@')).map(|(l, _)| l);
    let mut out = s.trim().replace("%EMAILDOMAIN%", domain);
    if let Some(a) = address {
        out = out.replace("%EMAILADDRESS%", a);
    }
    if let Some(l) = local {
        out = out.replace("%EMAILLOCALPART%", l);
    }
    out
}

/// A host name that can be connected to (no placeholder left, no spaces).
fn usable_host(h: &str) -> bool {
    !h.is_empty()
        && h.len() <= 253
        && h.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b':'))
}

/// The first `outgoingServer type="smtp"` with a supported `socketType`
/// (`SSL` → implicit TLS, `STARTTLS`; `plain` is not offered a password).
/// `Ok(None)`: a valid file without one.
pub(crate) fn parse_config(
    xml: &str,
    address: Option<&str>,
    domain: &str,
) -> Result<Option<Outgoing>, String> {
    let doc = parse(xml)?;
    let root = doc.root_element();
    if root.tag_name().name() != "clientConfig" {
        return Err(format!(
            "not an autoconfig file (root element <{}>, not <clientConfig>)",
            root.tag_name().name()
        ));
    }
    let text = |n: roxmltree::Node, tag: &str| {
        n.children()
            .find(|c| c.has_tag_name(tag))
            .and_then(|c| c.text())
            .map(|t| t.trim().to_string())
    };
    for server in root
        .descendants()
        .filter(|n| n.has_tag_name("outgoingServer") && n.attribute("type") == Some("smtp"))
    {
        let tls = match text(server, "socketType").as_deref() {
            Some("SSL") => TlsMode::Implicit,
            Some("STARTTLS") => TlsMode::StartTls,
            _ => continue,
        };
        let Some(host) =
            text(server, "hostname").map(|h| fill(&h, address, domain).to_ascii_lowercase())
        else {
            continue;
        };
        let Some(port) = text(server, "port")
            .and_then(|p| p.parse::<u16>().ok())
            .filter(|p| *p > 0)
        else {
            continue;
        };
        if !usable_host(&host) {
            continue;
        }
        let username = text(server, "username").map(|u| fill(&u, address, domain));
        let authentication = server
            .children()
            .filter(|c| c.has_tag_name("authentication"))
            .filter_map(|c| c.text())
            .map(|t| t.trim().to_string())
            .collect();
        return Ok(Some(Outgoing {
            host,
            port,
            tls,
            username,
            authentication,
        }));
    }
    Ok(None)
}

/// The SMTP protocol of an Autodiscover POX answer
/// (`<Account><Protocol><Type>SMTP</Type><Server>…<Port>…<SSL>…`), or the
/// address it redirects to (`<Action>redirectAddr</Action>` is not followed).
pub(crate) fn parse_autodiscover(
    xml: &str,
    address: Option<&str>,
) -> Result<Option<Outgoing>, String> {
    let doc = parse(xml)?;
    let root = doc.root_element();
    if root.tag_name().name() != "Autodiscover" {
        return Err(format!(
            "not an Autodiscover answer (root element <{}>)",
            root.tag_name().name()
        ));
    }
    let text = |n: roxmltree::Node, tag: &str| {
        n.children()
            .find(|c| c.tag_name().name() == tag)
            .and_then(|c| c.text())
            .map(|t| t.trim().to_string())
    };
    for proto in root
        .descendants()
        .filter(|n| n.tag_name().name() == "Protocol")
    {
        if text(proto, "Type").as_deref() != Some("SMTP") {
            continue;
        }
        let Some(host) = text(proto, "Server").map(|h| h.to_ascii_lowercase()) else {
            continue;
        };
        if !usable_host(&host) {
            continue;
        }
        let port = text(proto, "Port")
            .and_then(|p| p.parse::<u16>().ok())
            .unwrap_or(587);
        let ssl = text(proto, "SSL").is_none_or(|s| s.eq_ignore_ascii_case("on"));
        let encryption = text(proto, "Encryption").map(|e| e.to_ascii_uppercase());
        let tls = match (encryption.as_deref(), ssl, port) {
            (Some("SSL"), _, _) => TlsMode::Implicit,
            (Some("TLS"), _, _) => TlsMode::StartTls,
            (_, false, _) => continue,
            (_, true, 465) => TlsMode::Implicit,
            (_, true, _) => TlsMode::StartTls,
        };
        let username = text(proto, "LoginName").or_else(|| address.map(str::to_string));
        return Ok(Some(Outgoing {
            host,
            port,
            tls,
            username,
            authentication: Vec::new(),
        }));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1">
  <emailProvider id="example.com">
    <domain>example.com</domain>
    <incomingServer type="imap"><hostname>imap.example.com</hostname><port>993</port><socketType>SSL</socketType></incomingServer>
    <outgoingServer type="smtp">
      <hostname>plain.example.com</hostname><port>25</port><socketType>plain</socketType>
    </outgoingServer>
    <outgoingServer type="smtp">
      <hostname>smtp.%EMAILDOMAIN%</hostname>
      <port>465</port>
      <socketType>SSL</socketType>
      <authentication>OAuth2</authentication>
      <authentication>password-cleartext</authentication>
      <username>%EMAILLOCALPART%</username>
    </outgoingServer>
  </emailProvider>
</clientConfig>"#;

    #[test]
    fn first_supported_outgoing_server_with_placeholders_filled() {
        let o = parse_config(CONFIG, Some("alice@example.com"), "example.com")
            .unwrap()
            .unwrap();
        assert_eq!(o.host, "smtp.example.com");
        assert_eq!((o.port, o.tls), (465, TlsMode::Implicit));
        assert_eq!(o.username.as_deref(), Some("alice"));
        assert_eq!(o.authentication, ["OAuth2", "password-cleartext"]);
    }

    #[test]
    fn hostile_and_broken_xml_is_refused_clearly() {
        let bomb = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<clientConfig>&lol2;</clientConfig>"#;
        let e = parse_config(bomb, None, "x").unwrap_err();
        assert!(e.contains("DTD"), "{e}");
        let e = parse_config("<clientConfig><outgoingServer>", None, "x").unwrap_err();
        assert!(e.starts_with("malformed XML"), "{e}");
        let e = parse_config("<html><body>hello</body></html>", None, "x").unwrap_err();
        assert!(e.contains("not an autoconfig file"), "{e}");
        let many = format!("<clientConfig>{}</clientConfig>", "<a/>".repeat(30_000));
        assert!(parse_config(&many, None, "x")
            .unwrap_err()
            .contains("nodes"));
        assert_eq!(parse_config("<clientConfig/>", None, "x"), Ok(None));
    }

    #[test]
    fn autodiscover_pox_smtp() {
        let pox = r#"<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006">
 <Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a">
  <Account><AccountType>email</AccountType><Action>settings</Action>
   <Protocol><Type>IMAP</Type><Server>imap.example.com</Server><Port>993</Port></Protocol>
   <Protocol><Type>SMTP</Type><Server>SMTP.example.com</Server><Port>587</Port><SSL>on</SSL><Encryption>TLS</Encryption></Protocol>
  </Account>
 </Response>
</Autodiscover>"#;
        let o = parse_autodiscover(pox, Some("a@example.com"))
            .unwrap()
            .unwrap();
        assert_eq!(
            (o.host.as_str(), o.port, o.tls),
            ("smtp.example.com", 587, TlsMode::StartTls)
        );
        assert_eq!(o.username.as_deref(), Some("a@example.com"));
    }
}
