/**
 * axe-core as the accessibility tests run it: every rule axe runs by default, plus every rule tagged
 * `wcag22aa` (target size of at least 24 × 24 px) or `best-practice` that is off by default, on the whole
 * page, shadow roots included. Parley's pages forbid inline scripts, so the context that runs it must be
 * made with `bypassCSP: true`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { ROOT } from './browser.js';

const AXE_SOURCE = readFileSync(join(ROOT, 'node_modules/axe-core/axe.min.js'), 'utf8');

/** The tags whose rules run on top of axe's defaults. */
export const EXTRA_AXE_TAGS = ['wcag22aa', 'best-practice'];

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  /** One entry per failing element: its selector, and axe's summary of what is wrong with it. */
  nodes: { target: string; summary: string }[];
}

/** Every violation axe finds on `page`, whatever its impact (axe is added to the page first if need be). */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ content: AXE_SOURCE });
  return page.evaluate(async (tags) => {
    type Rule = { ruleId: string };
    type Result = { id: string; impact: string | null; help: string; nodes: { target: unknown[]; failureSummary?: string }[] };
    const axe = (window as unknown as { axe: { getRules(tags: string[]): Rule[]; run(context: Node, options: object): Promise<{ violations: Result[] }> } }).axe;
    const rules = Object.fromEntries(axe.getRules(tags).map((rule) => [rule.ruleId, { enabled: true }]));
    const result = await axe.run(document, { resultTypes: ['violations'], rules });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target.map((t) => (Array.isArray(t) ? t.join(' >>> ') : String(t))).join(' >>> '), summary: (n.failureSummary ?? '').replace(/\s+/g, ' ').trim() })),
    }));
  }, EXTRA_AXE_TAGS);
}

/** One line per failing element: rule id, impact, selector, and what is wrong. */
export function formatViolations(violations: AxeViolation[]): string[] {
  return violations.flatMap((v) => v.nodes.map((n) => `${v.id} (${v.impact ?? 'no impact'}): ${n.target} — ${v.help}. ${n.summary}`));
}
