#!/usr/bin/env bash
# Exports the label stores made by scripts/make-label-sets.sh into the committed label sets:
# assets/labels/<name>.jsonl.gz (one JSON record a line, `sift judge export --format jsonl`: text, raw
# grade, soft label, every form's raw score, and the calibrated grade when a calibration is in force)
# and assets/labels/manifest.json (provenance: judge, model file sha256, policy, prompt hashes, how the
# pairs were sampled and labelled, when, sizes and grade distributions, and each set's audit against the
# human grades of its queries, and the calibration each set's grades were made with: refitted here on the
# set's own golden pairs, so the committed grades follow from the committed raw answers).
#
#   scripts/export-label-sets.sh [--no-calibration]
set -euo pipefail
cd "$(dirname "$0")/.."
home="${SIFT_HOME:-$HOME/.sift}"
out=assets/labels
mkdir -p "$out"
for store in "$home"/labels/*.sqlite; do
  name=$(basename "$store" .sqlite)
  collection=$(node -e "const D=require('better-sqlite3');const d=new D(process.argv[1],{readonly:true});console.log(d.prepare(\"SELECT value FROM meta WHERE key='collection'\").get().value)" "$store")
  # Each set's own calibration, refitted on all of its judge-and-human-graded pairs as they are now, so
  # the exported grades follow from the exported raw answers (the manifest records the map).
  if [ "${1:-}" != "--no-calibration" ]; then
    bin/sift judge calibrate --store "$store" --qrels "$collection/qrels/test.tsv" \
      --json "$out/.$name.calibration.json" >/dev/null
  fi
  tmp=$(mktemp)
  bin/sift judge export --store "$store" --format jsonl --out "$tmp" "$@" >/dev/null
  gzip -9 -n -c "$tmp" > "$out/$name.jsonl.gz.tmp" && mv "$out/$name.jsonl.gz.tmp" "$out/$name.jsonl.gz"
  rm -f "$tmp"
  # The set's agreement with the human grades of the same (training) queries: training presets use a set
  # only when its judge agrees with people there (src/train/presets.ts, MIN_JUDGE_KAPPA).
  bin/sift judge audit --store "$store" --qrels "$collection/qrels/test.tsv" --systems none \
    --json "$out/.$name.audit.json" --quiet "$@" >/dev/null
done
node --input-type=module -e "
import Database from 'better-sqlite3';
import { existsSync, readFileSync, readdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
const home = process.argv[1];
const previous = existsSync('$out/manifest.json') ? JSON.parse(readFileSync('$out/manifest.json', 'utf8')) : {};
const sets = {};
for (const file of readdirSync('$out').filter((f) => f.endsWith('.jsonl.gz')).sort()) {
  const name = file.replace('.jsonl.gz', '');
  const lines = gunzipSync(readFileSync('$out/' + file)).toString('utf8').trim().split('\n').map((l) => JSON.parse(l));
  const db = new Database(home + '/labels/' + name + '.sqlite', { readonly: true });
  const meta = Object.fromEntries(db.prepare('SELECT key, value FROM meta').all().map((r) => [r.key, r.value]));
  const allJobs = db.prepare('SELECT options, started_at AS startedAt, finished_at AS finishedAt, labelled FROM jobs ORDER BY id').all();
  // A store restored from the committed set (sift judge import) holds only this machine's history: the
  // sampling and labelling that made the imported labels are carried over from the previous manifest.
  const imported = allJobs.some((j) => JSON.parse(j.options).import !== undefined);
  const jobs = allJobs.filter((j) => JSON.parse(j.options).import === undefined);
  const before = imported ? previous.sets?.[name] : undefined;
  const samples = JSON.parse(meta.samples ?? '[]');
  const sampled = before ? [...before.sampled, ...samples.filter((s) => !before.sampled.some((b) => b.at === s.at))] : samples;
  const labelling = {
    first: before?.labelling?.first ?? jobs[0]?.startedAt,
    last: jobs.at(-1)?.finishedAt ?? before?.labelling?.last,
    runs: (before?.labelling?.runs ?? 0) + jobs.length,
    options: before?.labelling?.options ?? (jobs[0] ? JSON.parse(jobs[0].options) : null),
    ...(before ? { restored: 'labels made before ' + before.labelling?.last + ' were imported from the committed set into a resampled store (sift judge import)' } : {}),
  };
  db.close();
  const count = (key) => lines.reduce((m, l) => ((m[l[key]] = (m[l[key]] ?? 0) + 1), m), {});
  sets[name] = {
    file,
    labels: lines.length,
    queries: new Set(lines.map((l) => l.query_id)).size,
    collection: meta.collection_name,
    split: 'train (sha256 hash split of query ids, src/ingest/query-split.ts)',
    judge: lines[0]?.judge_id,
    policy: lines[0]?.policy,
    policy_hash: lines[0]?.policy_hash,
    prompt_hashes: [...new Set(lines.map((l) => l.prompt_hash))],
    calibrated: lines.every((l) => l.calibrated),
    raw_grades: count('raw_grade'),
    grades: count('grade'),
    sampled,
    labelling,
    audit: (({ pairs, kappa_linear, spearman, exact_agreement, calibrated }) => ({
      against: 'the human qrels of the same training queries (sift judge audit); the calibration was fitted on these pairs, so this is its in-sample agreement',
      pairs, kappa_linear, spearman, exact_agreement, calibrated,
    }))(JSON.parse(readFileSync('$out/.' + name + '.audit.json', 'utf8'))),
  };
  unlinkSync('$out/.' + name + '.audit.json');
  const calibrationFile = '$out/.' + name + '.calibration.json';
  if (existsSync(calibrationFile)) {
    sets[name].calibration = JSON.parse(readFileSync(calibrationFile, 'utf8')).calibration;
    unlinkSync(calibrationFile);
  }
}
const manifest = {
  made_by: 'scripts/make-label-sets.sh (sample + judge run), then scripts/export-label-sets.sh',
  model: { id: 'qwen2.5-coder-1.5b-instruct-q4', file: 'qwen2.5-coder-1.5b-instruct-q4_k_m.gguf', sha256: 'cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046', engine: 'node-llama-cpp 3.21.1 (llama.cpp CPU)' },
  exported_at: new Date().toISOString(),
  sets,
};
writeFileSync('$out/manifest.json', JSON.stringify(manifest, null, 2) + '\n');
" "$home"
npx --no-install biome format --write "$out/manifest.json" >/dev/null
ls -la "$out"
