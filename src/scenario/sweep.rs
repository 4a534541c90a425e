//! Sweeps: a variant setting, a server override or a dataset setting given as a list runs
//! every combination, each as an ordinary [`Variant`] named `base[key=value,...]`.
//!
//! A sweep is expanded in the text: each list is replaced by one of its elements (copied
//! verbatim) and the copy is parsed as any scenario, with offsets mapped back to the file so
//! that every message still names the file's line.

use super::{Scenario, Variant};
use std::ops::Range;
use std::path::Path;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// Whom a swept setting concerns.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Scope {
    /// `[server.overrides]`: every variant, on its own server.
    Server,
    /// `[dataset]` and its families: every variant, each with its own dataset.
    Dataset,
    /// One `[[variant]]` (by position).
    Variant(usize),
}

/// One list in the file.
#[derive(Debug, Clone)]
struct Axis {
    scope: Scope,
    /// The key's dotted path, for messages; `name` is what run names show; `key` the key
    /// itself (a server override's directive).
    path: String,
    name: String,
    key: String,
    span: Range<usize>,
    /// Each element's span in the file and how run names show it.
    values: Vec<(Range<usize>, String)>,
}

/// Parses `text` with its sweeps expanded (a file without lists parses as it is).
pub fn expand(text: &str, path: &Path, max_runs: u64) -> anyhow::Result<Scenario> {
    let same = |o: usize| o;
    // A file TOML refuses is reported by the ordinary parse, with its line.
    let Ok(doc) = DeTable::parse(text) else {
        return Scenario::parse_expanded(text, text, &same, path);
    };
    let axes = find_axes(doc.get_ref(), text, path)?;
    if axes.is_empty() {
        return Scenario::parse_expanded(text, text, &same, path);
    }
    let raw_variants = doc
        .get_ref()
        .get("variant")
        .and_then(|v| v.get_ref().as_array())
        .map_or(0, |a| a.len());
    check_run_count(&axes, raw_variants, path, max_runs)?;
    let mut first: Option<Scenario> = None;
    let mut runs: Vec<Variant> = Vec::new();
    let mut baseline_base = None;
    for v in 0..raw_variants {
        let mine: Vec<usize> = (0..axes.len()).filter(|&a| applies(&axes[a], v)).collect();
        for combo in combinations(
            &mine
                .iter()
                .map(|&a| axes[a].values.len())
                .collect::<Vec<_>>(),
        ) {
            let mut choice = vec![0; axes.len()];
            for (k, &a) in mine.iter().enumerate() {
                choice[a] = combo[k];
            }
            let (expanded, offsets) = substitute(text, &axes, &choice);
            let origin = |o: usize| map_back(&offsets, o);
            let scenario = Scenario::parse_expanded(&expanded, text, &origin, path)?;
            let mut run = scenario.variants[v].clone();
            baseline_base.get_or_insert_with(|| scenario.variants[scenario.baseline].base.clone());
            run.sweep = mine
                .iter()
                .map(|&a| (axes[a].name.clone(), axes[a].values[choice[a]].1.clone()))
                .collect();
            if !run.sweep.is_empty() {
                run.name = format!(
                    "{}[{}]",
                    run.base,
                    run.sweep
                        .iter()
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect::<Vec<_>>()
                        .join(",")
                );
            }
            if mine.iter().any(|&a| axes[a].scope == Scope::Dataset) && run.dataset.is_none() {
                run.dataset = Some(scenario.dataset.clone());
            }
            // A swept server setting goes with the run; the variant's own come after it.
            let swept: Vec<&str> = mine
                .iter()
                .filter(|&&a| axes[a].scope == Scope::Server)
                .map(|&a| axes[a].key.as_str())
                .collect();
            let mut overrides: Vec<(String, String)> = scenario
                .server
                .overrides
                .iter()
                .filter(|(k, _)| swept.contains(&k.as_str()))
                .cloned()
                .collect();
            overrides.append(&mut run.overrides);
            run.overrides = overrides;
            runs.push(run);
            first.get_or_insert(scenario);
        }
    }
    let mut scenario = first.expect("a scenario with a list has a variant");
    let swept_server: Vec<&str> = axes
        .iter()
        .filter(|a| a.scope == Scope::Server)
        .map(|a| a.key.as_str())
        .collect();
    scenario
        .server
        .overrides
        .retain(|(k, _)| !swept_server.contains(&k.as_str()));
    scenario.baseline = runs
        .iter()
        .position(|r| Some(&r.base) == baseline_base.as_ref())
        .unwrap_or(0);
    scenario.variants = runs;
    Ok(scenario)
}

/// Refuses, before any run is planned, sweeps that make more than `max_runs` runs; the
/// message states the count and how it comes about.
fn check_run_count(
    axes: &[Axis],
    variants: usize,
    path: &Path,
    max_runs: u64,
) -> anyhow::Result<()> {
    let mut total: u64 = 0;
    let mut largest = (0u64, String::new());
    for v in 0..variants {
        let lens: Vec<u64> = axes
            .iter()
            .filter(|a| applies(a, v))
            .map(|a| a.values.len() as u64)
            .collect();
        let runs = lens.iter().fold(1u64, |n, &l| n.saturating_mul(l));
        total = total.saturating_add(runs);
        if runs > largest.0 {
            let shown: Vec<String> = lens.iter().map(u64::to_string).collect();
            largest = (
                runs,
                format!("variant {} makes {}", v + 1, shown.join(" x ")),
            );
        }
    }
    if total > max_runs {
        anyhow::bail!(
            "{}: the sweeps make {total} runs ({}), more than the {max_runs} allowed; each run \
             starts its own server and measures the whole dataset. Shorten the lists, or give \
             bench --max-runs {total} to run them all",
            path.display(),
            largest.1
        );
    }
    Ok(())
}

fn applies(axis: &Axis, variant: usize) -> bool {
    match axis.scope {
        Scope::Server | Scope::Dataset => true,
        Scope::Variant(v) => v == variant,
    }
}

/// Every combination of one index per axis, the first axis varying slowest.
fn combinations(lens: &[usize]) -> Vec<Vec<usize>> {
    let mut out = vec![Vec::new()];
    for &len in lens {
        out = out
            .into_iter()
            .flat_map(|prefix| {
                (0..len).map(move |i| {
                    let mut c = prefix.clone();
                    c.push(i);
                    c
                })
            })
            .collect();
    }
    out
}

/// `text` with each list replaced by its chosen element; the offsets say where each copied
/// piece of the result (its start) came from in `text`.
fn substitute(text: &str, axes: &[Axis], choice: &[usize]) -> (String, Vec<(usize, usize)>) {
    let mut order: Vec<usize> = (0..axes.len()).collect();
    order.sort_by_key(|&a| axes[a].span.start);
    let mut out = String::with_capacity(text.len());
    let mut offsets = Vec::new();
    let mut at = 0;
    for a in order {
        let span = &axes[a].span;
        offsets.push((out.len(), at));
        out.push_str(&text[at..span.start]);
        let element = &axes[a].values[choice[a]].0;
        offsets.push((out.len(), element.start));
        out.push_str(&text[element.clone()]);
        at = span.end;
    }
    offsets.push((out.len(), at));
    out.push_str(&text[at..]);
    (out, offsets)
}

fn map_back(offsets: &[(usize, usize)], offset: usize) -> usize {
    let i = offsets.partition_point(|&(new, _)| new <= offset).max(1) - 1;
    let (new, old) = offsets[i];
    old + (offset - new)
}

/// The lists of the file, in file order. Lists are sweeps wherever a setting takes one
/// value: a variant's settings and overrides, the server's overrides, the dataset's
/// settings, and its families' settings and value generators.
fn find_axes(doc: &DeTable, text: &str, path: &Path) -> anyhow::Result<Vec<Axis>> {
    let mut axes = Vec::new();
    let mut found = |scope, key_path: String, value: &Spanned<DeValue>| -> anyhow::Result<()> {
        if let Some(axis) = axis_of(scope, key_path, value, text, path)? {
            axes.push(axis);
        }
        Ok(())
    };
    if let Some(t) = table(doc.get("server")).and_then(|s| table(s.get("overrides"))) {
        for (k, v) in t {
            found(
                Scope::Server,
                format!("server.overrides.{}", k.get_ref()),
                v,
            )?;
        }
    }
    if let Some(d) = table(doc.get("dataset")) {
        for key in ["scale", "seed"] {
            if let Some(v) = d.get(key) {
                found(Scope::Dataset, format!("dataset.{key}"), v)?;
            }
        }
        for (j, f) in tables(d.get("family")).into_iter().enumerate() {
            for (k, v) in f {
                let key = format!("dataset.family[{j}].{}", k.get_ref());
                if k.get_ref() == "value" {
                    walk_value(v, &key, &mut |p, v| found(Scope::Dataset, p, v))?;
                } else {
                    found(Scope::Dataset, key, v)?;
                }
            }
        }
    }
    for (i, v) in tables(doc.get("variant")).into_iter().enumerate() {
        for (k, value) in v {
            if k.get_ref() == "overrides" {
                for (o, ov) in table(Some(value)).into_iter().flatten() {
                    found(
                        Scope::Variant(i),
                        format!("variant[{i}].overrides.{}", o.get_ref()),
                        ov,
                    )?;
                }
            } else {
                found(
                    Scope::Variant(i),
                    format!("variant[{i}].{}", k.get_ref()),
                    value,
                )?;
            }
        }
    }
    // Run names show the key; two lists with one key name show the dotted path.
    let clashes: Vec<bool> = (0..axes.len())
        .map(|a| {
            axes.iter().enumerate().any(|(b, other)| {
                let together = match (other.scope, axes[a].scope) {
                    (Scope::Variant(x), Scope::Variant(y)) => x == y,
                    _ => true,
                };
                b != a && other.name == axes[a].name && together
            })
        })
        .collect();
    for (axis, clash) in axes.iter_mut().zip(clashes) {
        if clash {
            axis.name = axis.path.clone();
        }
    }
    Ok(axes)
}

fn walk_value(
    value: &Spanned<DeValue>,
    key: &str,
    found: &mut dyn FnMut(String, &Spanned<DeValue>) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    match value.get_ref() {
        DeValue::Table(t) => {
            for (k, v) in t {
                walk_value(v, &format!("{key}.{}", k.get_ref()), found)?;
            }
            Ok(())
        }
        _ => found(key.to_string(), value),
    }
}

fn table<'a, 'i>(v: Option<&'a Spanned<DeValue<'i>>>) -> Option<&'a DeTable<'i>> {
    match v?.get_ref() {
        DeValue::Table(t) => Some(t),
        _ => None,
    }
}

fn tables<'a, 'i>(v: Option<&'a Spanned<DeValue<'i>>>) -> Vec<&'a DeTable<'i>> {
    v.and_then(|v| v.get_ref().as_array())
        .map(|a| a.iter().filter_map(|t| table(Some(t))).collect())
        .unwrap_or_default()
}

/// The sweep `value` is, if it is a list; a list that cannot be one is an error naming its
/// line.
fn axis_of(
    scope: Scope,
    key_path: String,
    value: &Spanned<DeValue>,
    text: &str,
    path: &Path,
) -> anyhow::Result<Option<Axis>> {
    let Some(items) = value.get_ref().as_array() else {
        return Ok(None);
    };
    let name = key_path.rsplit('.').next().unwrap_or(&key_path).to_string();
    let at = |span: Range<usize>| {
        let (line, col) = super::line_col(text, span.start);
        format!("{}:{line}:{col}", path.display())
    };
    if items.is_empty() {
        anyhow::bail!(
            "{}: {name} = []: a list sweeps the setting over its values and needs at least one; \
             give a value or a list of values",
            at(value.span())
        );
    }
    let mut values: Vec<(Range<usize>, String)> = Vec::new();
    for item in items.iter() {
        let shown = match item.get_ref() {
            DeValue::String(s) => s.to_string(),
            DeValue::Integer(i) => i.as_str().to_string(),
            DeValue::Float(f) => f.as_str().to_string(),
            DeValue::Boolean(b) => b.to_string(),
            _ => anyhow::bail!(
                "{}: {name}: a sweep's values must be numbers, strings or booleans (a list \
                 sweeps the setting over its values)",
                at(item.span())
            ),
        };
        if shown.is_empty() || shown.contains([',', '[', ']', '=']) {
            anyhow::bail!(
                "{}: {name}: the swept value {shown:?} cannot be part of a run's name \
                 (name[{name}=value]); leave out ',', '[', ']' and '='",
                at(item.span())
            );
        }
        if values.iter().any(|(_, v)| *v == shown) {
            anyhow::bail!(
                "{}: {name}: the value {shown} is listed twice; each run of a sweep needs its \
                 own value",
                at(item.span())
            );
        }
        values.push((item.span(), shown));
    }
    Ok(Some(Axis {
        scope,
        path: key_path,
        key: name.clone(),
        name,
        span: value.span(),
        values,
    }))
}

/// `--only` splits at commas, and a run's name has commas inside its brackets: the pieces
/// of one name are joined again.
pub fn rejoin(names: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut open = false;
    for n in names {
        match out.last_mut() {
            Some(last) if open => {
                last.push(',');
                last.push_str(n);
            }
            _ => out.push(n.clone()),
        }
        let last = out.last().expect("pushed");
        open = last.matches('[').count() > last.matches(']').count();
    }
    out
}

/// The datasets of a run, each distinct one built once (a sweep's runs share most).
pub struct Datasets {
    built: Vec<(String, crate::dataset::Dataset)>,
    /// Variant name to its dataset's index.
    of: std::collections::HashMap<String, usize>,
}

impl Datasets {
    pub fn build(scenario: &Scenario) -> anyhow::Result<Datasets> {
        let mut built: Vec<(String, crate::dataset::Dataset)> = Vec::new();
        let mut of = std::collections::HashMap::new();
        let main = scenario.dataset.build()?;
        built.push((scenario.dataset.fingerprint()?, main));
        for v in &scenario.variants {
            let spec = scenario.dataset_of(v);
            let key = spec.fingerprint()?;
            let index = match built.iter().position(|(k, _)| *k == key) {
                Some(i) => i,
                None => {
                    built.push((key, spec.build()?));
                    built.len() - 1
                }
            };
            of.insert(v.name.clone(), index);
        }
        Ok(Datasets { built, of })
    }

    /// The records `variant` writes.
    pub fn of(&self, variant: &Variant) -> &crate::dataset::Dataset {
        &self.built[self.of.get(&variant.name).copied().unwrap_or(0)].1
    }
}

/// What a report says of a run beyond its settings: its sweep, and its own dataset.
pub fn describe(
    v: &Variant,
) -> anyhow::Result<(
    Option<crate::report::SweepInfo>,
    Option<crate::report::DatasetInfo>,
)> {
    let sweep = (!v.sweep.is_empty()).then(|| crate::report::SweepInfo {
        base: v.base.clone(),
        values: v
            .sweep
            .iter()
            .map(|(key, value)| crate::report::SweptValue {
                key: key.clone(),
                value: value.clone(),
            })
            .collect(),
    });
    let dataset = match &v.dataset {
        Some(d) => Some(d.info()?),
        None => None,
    };
    Ok((sweep, dataset))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_map_back_into_the_file() {
        let text = "a = [1,\n 22]\nb = \"x\"\n";
        let doc = DeTable::parse(text).unwrap();
        let axes = find_axes(doc.get_ref(), text, Path::new("s.toml")).unwrap();
        assert!(axes.is_empty(), "top-level keys are not sweep positions");
        let axis = axis_of(
            Scope::Dataset,
            "dataset.a".into(),
            doc.get_ref().get("a").unwrap(),
            text,
            Path::new("s.toml"),
        )
        .unwrap()
        .unwrap();
        assert_eq!(axis.values[1].1, "22");
        let (out, offsets) = substitute(text, &[axis], &[1]);
        assert_eq!(out, "a = 22\nb = \"x\"\n");
        let b = out.find('b').unwrap();
        assert_eq!(map_back(&offsets, b), text.find('b').unwrap());
        assert_eq!(map_back(&offsets, 4), text.find("22").unwrap());
    }

    #[test]
    fn combinations_vary_the_last_axis_fastest() {
        assert_eq!(
            combinations(&[2, 2]),
            vec![vec![0, 0], vec![0, 1], vec![1, 0], vec![1, 1]]
        );
        assert_eq!(combinations(&[]), vec![Vec::<usize>::new()]);
    }
}
