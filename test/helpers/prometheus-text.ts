/**
 * A strict reader of the Prometheus text exposition format (version 0.0.4), for tests: prom-client writes it
 * but cannot read it, and a scraper would reject what this rejects. Every line is a `# HELP`, a `# TYPE`, a
 * sample or empty; a family's TYPE comes before its samples and once; its samples are contiguous; a histogram's
 * buckets carry `le`, rise with it, end at +Inf and agree with its _count.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: "counter" | "gauge" | "histogram" | "summary" | "untyped";
  help: string;
  samples: Sample[];
}

const NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
const LABEL_NAME = "[a-zA-Z_][a-zA-Z0-9_]*";
const LABEL_VALUE = String.raw`"(?:[^"\\\n]|\\[\\"n])*"`;
// Values as Go's strconv.ParseFloat (Prometheus's reader) takes them: Inf and NaN in any case (prom-client: "Nan").
const VALUE = String.raw`[+-]?(?:[iI][nN][fF]|[nN][aA][nN]|\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)`;
const SAMPLE = new RegExp(
  `^(${NAME})(?:\\{((?:${LABEL_NAME}=${LABEL_VALUE})(?:,${LABEL_NAME}=${LABEL_VALUE})*,?)?\\})? (${VALUE})(?: -?\\d+)?$`,
);
const LABEL = new RegExp(`(${LABEL_NAME})=(${LABEL_VALUE})`, "g");
const HELP = new RegExp(`^# HELP (${NAME}) (.*)$`);
const TYPE = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`);

const SUFFIXES: Record<Family["type"], string[]> = {
  counter: [""],
  gauge: [""],
  untyped: [""],
  histogram: ["_bucket", "_sum", "_count"],
  summary: ["", "_sum", "_count"],
};

/** Parses an exposition; throws with the line number on anything a strict scraper would refuse. */
export function parsePrometheusText(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const helps = new Map<string, string>();
  let current: Family | undefined;
  const lines = text.split("\n");
  if (lines.at(-1) !== "") throw new Error("the exposition must end with a newline");
  lines.pop();
  for (const [i, line] of lines.entries()) {
    const where = `line ${i + 1} (${JSON.stringify(line.slice(0, 80))})`;
    if (line === "") continue; // the format ignores empty lines (prom-client puts one between families)
    if (line.startsWith("#")) {
      const help = HELP.exec(line);
      if (help !== null) {
        if (helps.has(help[1])) throw new Error(`${where}: a second HELP for ${help[1]}`);
        helps.set(help[1], help[2]);
        continue;
      }
      const type = TYPE.exec(line);
      if (type === null) throw new Error(`${where}: a comment that is neither HELP nor TYPE`);
      const name = type[1];
      if (families.has(name)) throw new Error(`${where}: a second TYPE for ${name}`);
      current = { name, type: type[2] as Family["type"], help: helps.get(name) ?? "", samples: [] };
      families.set(name, current);
      continue;
    }
    const m = SAMPLE.exec(line);
    if (m === null) throw new Error(`${where}: not a sample line`);
    const [, name, labelText, valueText] = m;
    if (current === undefined || !SUFFIXES[current.type].some((s) => name === current?.name + s)) {
      throw new Error(`${where}: sample ${name} outside its family's block (after its TYPE line)`);
    }
    const labels: Record<string, string> = {};
    for (const [, key, quoted] of (labelText ?? "").matchAll(LABEL)) {
      if (Object.hasOwn(labels, key)) throw new Error(`${where}: label ${key} twice`);
      labels[key] = JSON.parse(quoted) as string; // its escapes (\\ \" \n) are JSON's too
    }
    current.samples.push({ name, labels, value: parseValue(valueText) });
  }
  for (const f of families.values()) if (f.type === "histogram") checkHistogram(f);
  return families;
}

function parseValue(text: string): number {
  const t = text.replace(/^\+/, "").toLowerCase();
  if (t === "inf") return Infinity;
  if (t === "-inf") return -Infinity;
  if (t === "nan") return NaN;
  return Number(t);
}

/** Per label set (less `le`): buckets cumulative and rising, the last +Inf, equal to _count. */
function checkHistogram(f: Family): void {
  const series = new Map<string, { buckets: [number, number][]; count?: number }>();
  for (const s of f.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    const entry = series.get(key) ?? { buckets: [] };
    series.set(key, entry);
    if (s.name.endsWith("_bucket")) {
      if (le === undefined) throw new Error(`${f.name}: a bucket without le`);
      entry.buckets.push([parseValue(le), s.value]);
    } else if (s.name.endsWith("_count")) {
      entry.count = s.value;
    }
  }
  for (const [key, { buckets, count }] of series) {
    for (let i = 1; i < buckets.length; i++) {
      if (buckets[i][0] <= buckets[i - 1][0] || buckets[i][1] < buckets[i - 1][1]) {
        throw new Error(`${f.name}${key}: buckets out of order or not cumulative`);
      }
    }
    const last = buckets.at(-1);
    if (last?.[0] !== Infinity) throw new Error(`${f.name}${key}: no +Inf bucket`);
    if (last[1] !== count) throw new Error(`${f.name}${key}: +Inf bucket ${last[1]} but _count ${count}`);
  }
}

/** The value of the one sample of `name` whose labels include `labels`; throws if there is not exactly one. */
export function sampleValue(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number {
  const family = familyOf(families, name);
  const found = family.samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  if (found.length !== 1) throw new Error(`${found.length} samples of ${name} ${JSON.stringify(labels)}`);
  return found[0].value;
}

/** Every value of label `label` among the samples of family `family`. */
export function labelValues(families: Map<string, Family>, family: string, label: string): Set<string> {
  const values = new Set<string>();
  for (const s of families.get(family)?.samples ?? []) if (s.labels[label] !== undefined) values.add(s.labels[label]);
  return values;
}

function familyOf(families: Map<string, Family>, sample: string): Family {
  for (const suffix of ["", "_bucket", "_sum", "_count"]) {
    const f = families.get(sample.slice(0, sample.length - suffix.length));
    if (f !== undefined && sample.endsWith(suffix)) return f;
  }
  throw new Error(`no family for ${sample}`);
}
