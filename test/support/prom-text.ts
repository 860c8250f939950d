/**
 * A parser for the Prometheus text exposition format (version 0.0.4, what prom-client writes): `# HELP` and
 * `# TYPE` lines, and samples `name{label="value",…} value [timestamp]` with label values escaped as `\\`, `\"`
 * and `\n` (https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format). Strict: a line it
 * cannot read throws, so a malformed exposition fails the test instead of being half-read.
 */
export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface PromExposition {
  types: Record<string, string>;
  help: Record<string, string>;
  samples: PromSample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*/;

function number(text: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  const n = Number(text);
  if (text === '' || Number.isNaN(n)) throw new Error(`not a sample value: "${text}"`);
  return n;
}

function sample(line: string): PromSample {
  const m = NAME.exec(line);
  if (!m) throw new Error(`no metric name: ${line}`);
  const name = m[0];
  let i = name.length;
  const labels: Record<string, string> = {};
  if (line[i] === '{') {
    i++;
    while (line[i] !== '}') {
      const l = LABEL.exec(line.slice(i));
      if (!l) throw new Error(`bad label name at ${i}: ${line}`);
      i += l[0].length;
      if (line.slice(i, i + 2) !== '="') throw new Error(`expected =" at ${i}: ${line}`);
      i += 2;
      let v = '';
      for (;;) {
        const c = line[i++];
        if (c === undefined) throw new Error(`unterminated label value: ${line}`);
        if (c === '"') break;
        if (c === '\\') {
          const e = line[i++];
          v += e === 'n' ? '\n' : e === '\\' ? '\\' : e === '"' ? '"' : `\\${e}`;
        } else v += c;
      }
      labels[l[0]] = v;
      if (line[i] === ',') i++;
      else if (line[i] !== '}') throw new Error(`expected , or } at ${i}: ${line}`);
    }
    i++;
  }
  const rest = line.slice(i).trim().split(/\s+/);
  if (rest.length < 1 || rest.length > 2) throw new Error(`bad sample: ${line}`);
  return { name, labels, value: number(rest[0]!) };
}

export function parsePromText(text: string): PromExposition {
  const out: PromExposition = { types: {}, help: {}, samples: [] };
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      const m = /^#\s+(HELP|TYPE)\s+(\S+)\s?(.*)$/.exec(line);
      if (!m) continue; // a plain comment
      if (m[1] === 'TYPE') out.types[m[2]!] = m[3]!;
      else out.help[m[2]!] = m[3]!;
      continue;
    }
    out.samples.push(sample(line));
  }
  return out;
}

/** The value of the one sample named `name` whose labels include `labels`; undefined when none, an error when several. */
export function sampleValue(e: PromExposition, name: string, labels: Record<string, string> = {}): number | undefined {
  const hits = e.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (hits.length > 1) throw new Error(`${hits.length} samples match ${name} ${JSON.stringify(labels)}`);
  return hits[0]?.value;
}
