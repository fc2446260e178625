//! Holds a body to the federation tester's field tree (`tests/fixtures/federation-tester-
//! report.json`, from the tester's Go source): every key the tester always sends is there,
//! no key it never sends, types and nulls as it writes them, keys in its order.

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

/// JSON with the object keys in the order they were written.
#[derive(Debug)]
pub enum Json {
    Null,
    Bool,
    Number,
    String,
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Json, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Json;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("JSON")
            }
            fn visit_unit<E>(self) -> Result<Json, E> {
                Ok(Json::Null)
            }
            fn visit_none<E>(self) -> Result<Json, E> {
                Ok(Json::Null)
            }
            fn visit_bool<E>(self, _: bool) -> Result<Json, E> {
                Ok(Json::Bool)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Json, E> {
                Ok(Json::Number)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Json, E> {
                Ok(Json::Number)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Json, E> {
                Ok(Json::Number)
            }
            fn visit_str<E>(self, _: &str) -> Result<Json, E> {
                Ok(Json::String)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Json, A::Error> {
                let mut v = vec![];
                while let Some(x) = a.next_element()? {
                    v.push(x);
                }
                Ok(Json::Array(v))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Json, A::Error> {
                let mut v = vec![];
                while let Some((k, x)) = a.next_entry::<String, Json>()? {
                    v.push((k, x));
                }
                Ok(Json::Object(v))
            }
        }
        d.deserialize_any(V)
    }
}

pub fn load() -> Value {
    let text = include_str!("../fixtures/federation-tester-report.json");
    serde_json::from_str(text).expect("the fixture is JSON")
}

/// Everything in `body` that the tester would not send, as `path: problem` lines.
pub fn conformance(tree: &Value, body: &str) -> Vec<String> {
    let json: Json = match serde_json::from_str(body) {
        Ok(j) => j,
        Err(e) => return vec![format!("not JSON: {e}")],
    };
    let mut errors = vec![];
    let root = serde_json::json!({
        "type": "object",
        "nullable": false,
        "order": tree["_root_order"],
        "fields": tree.as_object().unwrap().iter()
            .filter(|(k, _)| !k.starts_with('_'))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect::<serde_json::Map<_, _>>(),
    });
    node(&root, &json, "$", &mut errors);
    errors
}

fn node(spec: &Value, v: &Json, path: &str, errors: &mut Vec<String>) {
    let kind = spec["type"].as_str().unwrap_or("any");
    if let Json::Null = v {
        if spec["nullable"] != true {
            errors.push(format!(
                "{path}: null, but the tester never sends null here"
            ));
        }
        return;
    }
    match (kind, v) {
        ("string", Json::String) | ("bool", Json::Bool) | ("number", Json::Number) => {}
        ("raw-json", _) => {}
        ("array", Json::Array(items)) => {
            for (i, x) in items.iter().enumerate() {
                node(&spec["items"], x, &format!("{path}[{i}]"), errors);
            }
        }
        ("map", Json::Object(entries)) => {
            let keys: Vec<&String> = entries.iter().map(|(k, _)| k).collect();
            let mut sorted = keys.clone();
            sorted.sort();
            if keys != sorted {
                errors.push(format!("{path}: map keys not sorted byte-wise: {keys:?}"));
            }
            for (k, x) in entries {
                node(&spec["values"], x, &format!("{path}[{k:?}]"), errors);
            }
        }
        ("object", Json::Object(entries)) => object(spec, entries, path, errors),
        _ => errors.push(format!("{path}: expected {kind}, got {v:?}")),
    }
}

fn object(spec: &Value, entries: &[(String, Json)], path: &str, errors: &mut Vec<String>) {
    let empty = serde_json::Map::new();
    let fields = spec["fields"].as_object().unwrap_or(&empty);
    for (name, f) in fields {
        let present = entries.iter().any(|(k, _)| k == name);
        if !present && f["required"] == true {
            errors.push(format!(
                "{path}.{name}: missing, and the tester always sends it"
            ));
        }
    }
    for (k, x) in entries {
        match fields.get(k) {
            Some(f) => node(f, x, &format!("{path}.{k}"), errors),
            None => errors.push(format!("{path}.{k}: the tester has no such field")),
        }
    }
    if let Some(order) = spec["order"].as_array() {
        let rank = |k: &str| order.iter().position(|o| o == k);
        let ranks: Vec<_> = entries.iter().filter_map(|(k, _)| rank(k)).collect();
        if ranks.windows(2).any(|w| w[0] > w[1]) {
            let keys: Vec<&String> = entries.iter().map(|(k, _)| k).collect();
            errors.push(format!("{path}: keys out of the tester's order: {keys:?}"));
        }
    }
}

#[test]
fn the_checker_catches_what_the_tester_would_not_send() {
    let tree = load();
    let good = r#"{"WellKnownResult":{"m.server":"","CacheExpiresAt":0},
        "DNSResult":{"SRVSkipped":false,"SRVCName":"","SRVRecords":null,"SRVError":null,"Hosts":{},"Addrs":null},
        "ConnectionReports":{},"ConnectionErrors":{},"Version":{},"FederationOK":false}"#;
    assert_eq!(conformance(&tree, good), Vec::<String>::new());
    let missing = good.replace(r#""FederationOK":false"#, r#""Extra":1"#);
    let e = conformance(&tree, &missing);
    assert!(
        e.iter().any(|e| e.contains("$.FederationOK: missing")),
        "{e:?}"
    );
    assert!(
        e.iter()
            .any(|e| e.contains("$.Extra: the tester has no such field")),
        "{e:?}"
    );
    let null_map = good.replace(r#""ConnectionReports":{}"#, r#""ConnectionReports":null"#);
    assert!(!conformance(&tree, &null_map).is_empty());
    let wrong_type = good.replace(r#""SRVSkipped":false"#, r#""SRVSkipped":"no""#);
    assert!(!conformance(&tree, &wrong_type).is_empty());
    let order = good.replace(
        r#""SRVSkipped":false,"SRVCName":"""#,
        r#""SRVCName":"","SRVSkipped":false"#,
    );
    assert!(conformance(&tree, &order)[0].contains("order"));
}
