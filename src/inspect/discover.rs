//! The masters of a cluster redisadv did not start, found from one node (`--url`): what a
//! read-only walk (inspect) needs to visit every master, with the URL's credentials.

use crate::backend::ConnectOptions;
use anyhow::Context;

/// One master of the cluster: where it answers and the slots it owns.
#[derive(Debug, Clone, PartialEq)]
pub struct Master {
    pub id: String,
    pub host: String,
    pub port: u16,
    /// Inclusive slot ranges.
    pub slots: Vec<(u16, u16)>,
}

/// `None` when the server at `connect` is not a cluster node; else every master that owns
/// slots (CLUSTER NODES, which every engine from Redis 7.0 answers alike), in slot order.
pub fn masters(connect: &ConnectOptions) -> anyhow::Result<Option<Vec<Master>>> {
    // A plain RESP connection: redis-rs's own sends CLIENT SETINFO, which Redis before 7.2
    // answers with an error that lands in the server's INFO errorstats.
    let mut conn = super::conn::ReadConn::connect(connect, 0)
        .with_context(|| format!("cannot reach Redis at {}", connect.describe()))?;
    let info = crate::probe::parse_info(&conn.info("cluster")?);
    if info.get("cluster_enabled").map(String::as_str) != Some("1") {
        return Ok(None);
    }
    let text = match conn.must(redis::cmd("CLUSTER").arg("NODES"), "CLUSTER NODES")? {
        crate::backend::resp::Value::Bulk(b) => String::from_utf8_lossy(&b).into_owned(),
        other => anyhow::bail!("CLUSTER NODES answered {other:?}"),
    };
    let masters = parse_nodes(&text, &connect.connection_info()?);
    anyhow::ensure!(
        !masters.is_empty(),
        "{} is a cluster node, but CLUSTER NODES lists no master that owns slots",
        connect.describe()
    );
    Ok(Some(masters))
}

/// How to reach `master` with the credentials of `connect` (database 0: a cluster has one).
pub fn connect_options(connect: &ConnectOptions, master: &Master) -> ConnectOptions {
    let mut options = connect.clone();
    options.url = format!("redis://{}:{}/0", master.host, master.port);
    if let Ok(info) = connect.connection_info() {
        let settings = info.redis_settings();
        options.username = settings.username().map(str::to_string);
        options.password = settings.password().map(str::to_string);
    }
    options.db = None;
    options
}

/// Masters with slots from CLUSTER NODES' lines: `id ip:port@bus[,hostname] flags master
/// ping pong epoch link slot...`. A master whose address is empty (as a node that never
/// learned its own address prints it) is the node asked, reached as the URL names it.
fn parse_nodes(text: &str, asked: &redis::ConnectionInfo) -> Vec<Master> {
    let (asked_host, asked_port) = match asked.addr() {
        redis::ConnectionAddr::Tcp(h, p)
        | redis::ConnectionAddr::TcpTls {
            host: h, port: p, ..
        } => (h.clone(), *p),
        _ => (String::new(), 0),
    };
    let mut masters: Vec<Master> = text
        .lines()
        .filter_map(|line| {
            let parts: Vec<&str> = line.split_whitespace().collect();
            let flags = parts.get(2)?;
            if !flags.split(',').any(|f| f == "master")
                || flags.split(',').any(|f| f == "fail" || f == "noaddr")
            {
                return None;
            }
            let addr = parts[1].split(['@', ',']).next()?;
            let (host, port) = addr.rsplit_once(':')?;
            let slots: Vec<(u16, u16)> = parts
                .get(8..)?
                .iter()
                .filter(|s| !s.starts_with('['))
                .filter_map(|s| match s.split_once('-') {
                    Some((a, b)) => Some((a.parse().ok()?, b.parse().ok()?)),
                    None => s.parse().ok().map(|n| (n, n)),
                })
                .collect();
            if slots.is_empty() {
                return None;
            }
            let (host, port) = if host.is_empty() {
                (asked_host.clone(), asked_port)
            } else {
                (host.to_string(), port.parse().ok()?)
            };
            Some(Master {
                id: parts[0].to_string(),
                host,
                port,
                slots,
            })
        })
        .collect();
    masters.sort_by_key(|m| m.slots.first().copied());
    masters
}

#[cfg(test)]
mod tests {
    use super::*;
    use redis::IntoConnectionInfo;

    #[test]
    fn masters_with_slots_are_read_from_cluster_nodes() {
        let text = "\
b1 127.0.0.1:7001@17001 master - 0 1 2 connected 5461-10922
a0 :7000@17000 myself,master - 0 0 1 connected 0-5460 [93->-b1]
r1 127.0.0.1:7004@17004 slave b1 0 1 2 connected
c2 127.0.0.1:7002@17002,node-c master - 0 1 3 connected 10923-16000 16001 16002-16383
d3 127.0.0.1:7003@17003 master,fail - 0 1 4 disconnected 
e4 127.0.0.1:7005@17005 master - 0 1 5 connected
";
        let asked = "redis://localhost:7000/0".into_connection_info().unwrap();
        let got = parse_nodes(text, &asked);
        let ids: Vec<&str> = got.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["a0", "b1", "c2"]);
        assert_eq!((got[0].host.as_str(), got[0].port), ("localhost", 7000));
        assert_eq!((got[1].host.as_str(), got[1].port), ("127.0.0.1", 7001));
        assert_eq!(
            got[2].slots,
            vec![(10923, 16000), (16001, 16001), (16002, 16383)]
        );
    }
}
