//! A `terraform show -json`-shaped plan derived from a rendered Terraform module with hcl-rs, no
//! terraform binary: variables from their defaults and each environment's .tfvars, locals and
//! resource arguments evaluated as far as they can be (Terraform's usual functions, stub
//! account data), the provider's `default_tags` merged into every resource's `tags_all`. What
//! only `apply` knows (ARNs, ids, the account id in names) becomes a placeholder string, the
//! same wherever it is referenced, so a bucket and its encryption configuration still match.
//!
//! The policies that read Terraform plans (tags, regions, encryption, network) are evaluated on it.

use std::collections::BTreeMap;

use hcl::eval::{Context, Evaluate, FuncArgs, FuncDef, ParamType};
use hcl::{Body, Expression, Value as Hcl};
use serde_json::{Value, json};

use crate::tree::Tree;

/// One derived plan: the module directory, the environment (.tfvars) and the plan JSON.
pub struct Plan {
    pub module: String,
    pub environment: String,
    pub json: Value,
}

/// Meta-arguments, not resource attributes.
const META: [&str; 5] = ["count", "for_each", "depends_on", "provider", "lifecycle"];

/// The directories of the tree with `.tf` files (outside tests and examples).
pub fn modules(tree: &Tree) -> Vec<String> {
    let mut dirs: Vec<String> = tree
        .files_where(|f| f.ends_with(".tf"))
        .iter()
        .map(|f| f.rsplit_once('/').map_or(String::new(), |(d, _)| d.to_string()))
        .collect();
    dirs.sort();
    dirs.dedup();
    dirs
}

/// A plan per environment (`environments/*.tfvars`, `*.tfvars`) of every module, or one with the
/// defaults when a module has no .tfvars.
pub fn derive_plans(tree: &Tree) -> Result<Vec<Plan>, String> {
    let mut plans = Vec::new();
    for module in modules(tree) {
        let prefix = if module.is_empty() { String::new() } else { format!("{module}/") };
        let in_module = |f: &str| f.strip_prefix(&prefix).is_some_and(|rest| !rest.contains('/'));
        let mut body = Vec::new();
        for file in tree.files_where(|f| f.ends_with(".tf") && in_module(f)) {
            let text = tree.text(file).ok_or_else(|| format!("{file}: not UTF-8"))?;
            body.extend(hcl::parse(&text).map_err(|e| format!("{file}: {e}"))?);
        }
        let body = Body::from(body);
        let tfvars = tree.files_where(|f| {
            f.ends_with(".tfvars")
                && (in_module(f) || f.strip_prefix(&prefix).is_some_and(|r| r.starts_with("environments/")))
        });
        if tfvars.is_empty() {
            plans.push(Plan {
                module: module.clone(),
                environment: "defaults".into(),
                json: plan(&body, &Body::default()),
            });
        }
        for file in tfvars {
            let text = tree.text(file).ok_or_else(|| format!("{file}: not UTF-8"))?;
            let vars = hcl::parse(&text).map_err(|e| format!("{file}: {e}"))?;
            let env = file.rsplit('/').next().unwrap_or(file).trim_end_matches(".tfvars").to_string();
            plans.push(Plan { module: module.clone(), environment: env, json: plan(&body, &vars) });
        }
    }
    Ok(plans)
}

fn plan(body: &Body, tfvars: &Body) -> Value {
    let empty = Context::new();
    let mut vars: hcl::Map<String, Hcl> = hcl::Map::new();
    for block in body.blocks().filter(|b| b.identifier() == "variable") {
        let Some(name) = block.labels().first().map(|l| l.as_str().to_string()) else { continue };
        let given = tfvars.attributes().find(|a| a.key() == name).map(|a| a.expr().evaluate(&empty));
        let default = block.body().attributes().find(|a| a.key() == "default").map(|a| a.expr().evaluate(&empty));
        let value = match (given, default) {
            (Some(Ok(v)), _) | (None, Some(Ok(v))) => v,
            _ => Hcl::from(format!("(unset: var.{name})")),
        };
        vars.insert(name, value);
    }

    let data = stub_data(body);
    let mut locals: hcl::Map<String, Hcl> = hcl::Map::new();
    let mut resources: BTreeMap<(String, String), hcl::Map<String, Hcl>> = BTreeMap::new();
    let local_attrs: Vec<_> =
        body.blocks().filter(|b| b.identifier() == "locals").flat_map(|b| b.body().attributes()).collect();
    // Locals and resources may refer to each other in any order: a few rounds settle them.
    for _ in 0..4 {
        let ctx = context(&vars, &locals, &data, &resources);
        for attr in &local_attrs {
            let value = attr.expr().evaluate(&ctx).unwrap_or_else(|_| unknown(&format!("local.{}", attr.key())));
            locals.insert(attr.key().to_string(), value);
        }
        let ctx = context(&vars, &locals, &data, &resources);
        for block in body.blocks().filter(|b| b.identifier() == "resource") {
            let [rtype, rname] = block.labels() else { continue };
            let address = format!("{}.{}", rtype.as_str(), rname.as_str());
            resources.insert(
                (rtype.as_str().to_string(), rname.as_str().to_string()),
                eval_body(block.body(), &ctx, &address),
            );
        }
    }

    let ctx = context(&vars, &locals, &data, &resources);
    let mut provider_config = serde_json::Map::new();
    let mut default_tags: BTreeMap<String, Hcl> = BTreeMap::new();
    for block in body.blocks().filter(|b| b.identifier() == "provider") {
        let Some(name) = block.labels().first().map(|l| l.as_str().to_string()) else { continue };
        let alias = block.body().attributes().find(|a| a.key() == "alias").and_then(|a| a.expr().evaluate(&ctx).ok());
        let key = alias.as_ref().and_then(Hcl::as_str).map_or_else(|| name.clone(), |a| format!("{name}.{a}"));
        let mut expressions = serde_json::Map::new();
        if let Some(region) = block.body().attributes().find(|a| a.key() == "region") {
            let v = match region.expr() {
                Expression::String(s) => json!({ "constant_value": s }),
                other => json!({ "references": [other.to_string()] }),
            };
            expressions.insert("region".into(), v);
        }
        provider_config.insert(key.clone(), json!({ "name": name, "expressions": expressions }));
        if alias.is_none() {
            for tags in block.body().blocks().filter(|b| b.identifier() == "default_tags") {
                if let Some(Ok(Hcl::Object(t))) =
                    tags.body().attributes().find(|a| a.key() == "tags").map(|a| a.expr().evaluate(&ctx))
                {
                    default_tags.extend(t.into_iter().map(|(k, v)| (k.clone(), v)));
                }
            }
        }
    }

    let resource_changes: Vec<Value> = resources
        .into_iter()
        .map(|((rtype, rname), attrs)| {
            let mut after = to_json(&Hcl::Object(attrs));
            let mut tags_all: serde_json::Map<String, Value> =
                default_tags.iter().map(|(k, v)| (k.clone(), to_json(v))).collect();
            if let Some(own) = after["tags"].as_object() {
                tags_all.extend(own.clone());
            }
            after["tags_all"] = Value::Object(tags_all);
            json!({
                "address": format!("{rtype}.{rname}"),
                "mode": "managed",
                "type": rtype,
                "name": rname,
                "change": { "actions": ["create"], "before": null, "after": after },
            })
        })
        .collect();

    let variables: serde_json::Map<String, Value> =
        vars.iter().map(|(k, v)| (k.clone(), json!({ "value": to_json(v) }))).collect();
    json!({
        "format_version": "1.2",
        "variables": variables,
        "configuration": { "provider_config": provider_config },
        "resource_changes": resource_changes,
    })
}

/// A resource's arguments: attributes evaluated (or a placeholder), nested blocks as arrays.
fn eval_body(body: &Body, ctx: &Context, address: &str) -> hcl::Map<String, Hcl> {
    let mut out = hcl::Map::new();
    for attr in body.attributes().filter(|a| !META.contains(&a.key())) {
        let value = attr.expr().evaluate(ctx).unwrap_or_else(|_| unknown(&format!("{address}.{}", attr.key())));
        out.insert(attr.key().to_string(), value);
    }
    for block in body.blocks().filter(|b| !META.contains(&b.identifier()) && b.identifier() != "dynamic") {
        let nested = eval_body(block.body(), ctx, &format!("{address}.{}", block.identifier()));
        if let Hcl::Array(items) = out.entry(block.identifier().to_string()).or_insert_with(|| Hcl::Array(Vec::new())) {
            items.push(Hcl::Object(nested));
        }
    }
    out
}

fn unknown(what: &str) -> Hcl {
    Hcl::from(format!("(known after apply: {what})"))
}

/// Data sources: a test account for the caller identity and partition, placeholders otherwise.
fn stub_data(body: &Body) -> hcl::Map<String, Hcl> {
    let mut data: hcl::Map<String, Hcl> = hcl::Map::new();
    for block in body.blocks().filter(|b| b.identifier() == "data") {
        let [dtype, dname] = block.labels() else { continue };
        let attrs: hcl::Map<String, Hcl> = match dtype.as_str() {
            "aws_caller_identity" => [("account_id", "123456789012"), ("arn", "arn:aws:iam::123456789012:root")]
                .into_iter()
                .map(|(k, v)| (k.to_string(), Hcl::from(v)))
                .collect(),
            "aws_partition" => [("partition", "aws"), ("dns_suffix", "amazonaws.com")]
                .into_iter()
                .map(|(k, v)| (k.to_string(), Hcl::from(v)))
                .collect(),
            _ => hcl::Map::new(),
        };
        let entry = data.entry(dtype.as_str().to_string()).or_insert_with(|| Hcl::Object(hcl::Map::new()));
        if let Hcl::Object(m) = entry {
            m.insert(dname.as_str().to_string(), Hcl::Object(attrs));
        }
    }
    data
}

fn context<'a>(
    vars: &hcl::Map<String, Hcl>,
    locals: &hcl::Map<String, Hcl>,
    data: &hcl::Map<String, Hcl>,
    resources: &BTreeMap<(String, String), hcl::Map<String, Hcl>>,
) -> Context<'a> {
    let mut ctx = Context::new();
    ctx.declare_var("var", Hcl::Object(vars.clone()));
    ctx.declare_var("local", Hcl::Object(locals.clone()));
    ctx.declare_var("data", Hcl::Object(data.clone()));
    ctx.declare_var("terraform", Hcl::Object([("workspace".to_string(), Hcl::from("default"))].into_iter().collect()));
    let mut by_type: BTreeMap<&str, hcl::Map<String, Hcl>> = BTreeMap::new();
    for ((t, n), attrs) in resources {
        by_type.entry(t).or_default().insert(n.clone(), Hcl::Object(attrs.clone()));
    }
    for (t, m) in by_type {
        ctx.declare_var(t, Hcl::Object(m));
    }
    let any = || FuncDef::builder().variadic_param(ParamType::Any);
    ctx.declare_func("merge", any().build(merge));
    ctx.declare_func("concat", any().build(concat));
    ctx.declare_func(
        "lower",
        FuncDef::builder()
            .param(ParamType::String)
            .build(|a| Ok(Hcl::from(a[0].as_str().unwrap_or("").to_lowercase()))),
    );
    ctx.declare_func(
        "upper",
        FuncDef::builder()
            .param(ParamType::String)
            .build(|a| Ok(Hcl::from(a[0].as_str().unwrap_or("").to_uppercase()))),
    );
    ctx.declare_func("tostring", FuncDef::builder().param(ParamType::Any).build(|a| Ok(Hcl::from(a[0].to_string()))));
    ctx.declare_func(
        "jsonencode",
        FuncDef::builder().param(ParamType::Any).build(|a| Ok(Hcl::from(to_json(&a[0]).to_string()))),
    );
    ctx
}

fn merge(args: FuncArgs) -> Result<Hcl, String> {
    let mut out = hcl::Map::new();
    for arg in args.into_values() {
        match arg {
            Hcl::Object(m) => out.extend(m),
            Hcl::Null => {}
            other => return Err(format!("merge: not an object: {other}")),
        }
    }
    Ok(Hcl::Object(out))
}

fn concat(args: FuncArgs) -> Result<Hcl, String> {
    let mut out = Vec::new();
    for arg in args.into_values() {
        match arg {
            Hcl::Array(a) => out.extend(a),
            other => return Err(format!("concat: not a list: {other}")),
        }
    }
    Ok(Hcl::Array(out))
}

fn to_json(v: &Hcl) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}
