#!/usr/bin/env node
// Renders the figures the reliability tests measured (test/reliability/results/*.json, written by
// `npx vitest run test/reliability`) into the README's "Reliability" section, between
// <!-- reliability:start --> and <!-- reliability:end -->. The table is never typed by hand:
// rerun the tests, then `npm run reliability:report`. `--check` exits 1 when the README is stale.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const resultsDir = path.join(root, 'test/reliability/results');
const readmePath = path.join(root, 'README.md');
const START = '<!-- reliability:start -->';
const END = '<!-- reliability:end -->';

function cell(value) {
  return String(value ?? '')
    .replace(/\|/g, '\\|')
    .replace(/\n/g, ' ');
}

function renderSection(section) {
  const lines = [`### ${section.title}`, '', section.summary, ''];
  const facts = Object.entries(section.facts ?? {});
  if (facts.length > 0) lines.push(facts.map(([key, value]) => `${key}: **${value}**`).join(' · '), '');
  const withMs = section.rows.some((row) => row.ms !== undefined);
  lines.push(`| what was tried | exit | what held |${withMs ? ' ms |' : ''}`, `| --- | --- | --- |${withMs ? ' ---: |' : ''}`);
  for (const row of section.rows) {
    lines.push(`| ${cell(row.case)} | ${cell(row.exit ?? '')} | ${cell(row.held)} |${withMs ? ` ${cell(row.ms ?? '')} |` : ''}`);
  }
  lines.push('');
  for (const note of section.notes ?? []) lines.push(`- ${note}`);
  if (section.notes?.length) lines.push('');
  return lines.join('\n');
}

function renderReport(sections) {
  const measuredOn = [...new Set(sections.map((s) => s.measuredOn).filter(Boolean))].join('; ');
  return [
    START,
    '## Reliability',
    '',
    'What the tests in `test/reliability/` tried against real PostgreSQL and the example project (Prisma → Drizzle → plain SQL),',
    'and what held. Generated from the figures those tests recorded (`npm run reliability`);',
    `do not edit by hand.${measuredOn ? ` Measured on ${measuredOn}.` : ''}`,
    '',
    ...sections.map(renderSection),
    END,
  ].join('\n');
}

function main() {
  const files = fs.existsSync(resultsDir)
    ? fs
        .readdirSync(resultsDir)
        .filter((f) => f.endsWith('.json'))
        .sort()
    : [];
  if (files.length === 0) {
    console.error(`No results in ${path.relative(root, resultsDir)}: run npm run reliability (it records them).`);
    process.exit(1);
  }
  const sections = files.map((f) => JSON.parse(fs.readFileSync(path.join(resultsDir, f), 'utf8'))).sort((a, b) => a.order - b.order);
  const block = renderReport(sections);
  const readme = fs.readFileSync(readmePath, 'utf8');
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  let next;
  if (start >= 0 && end > start) next = `${readme.slice(0, start)}${block}${readme.slice(end + END.length)}`;
  else next = `${readme.replace(/\s*$/, '')}\n\n${block}\n`;
  if (process.argv.includes('--check')) {
    if (next !== readme) {
      console.error("README.md's Reliability section is out of date: run npm run reliability:report.");
      process.exit(1);
    }
    return;
  }
  if (next !== readme) fs.writeFileSync(readmePath, next);
  console.log(`README.md: Reliability section rendered from ${files.length} result file(s).`);
}

main();
