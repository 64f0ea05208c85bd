/** Formats: pure functions from the report model to text. */
import { renderJson } from './json.js';
import type { Report } from './model.js';
import { renderText } from './text.js';

export const FORMATS = ['text', 'json'] as const;
export type Format = (typeof FORMATS)[number];

export function render(report: Report, format: Format, opts: { color?: boolean } = {}): string {
  switch (format) {
    case 'json':
      return renderJson(report);
    case 'text':
      return renderText(report, { color: opts.color ?? false });
  }
}

export type { Finding, Report, SecretInfo, Stats } from './model.js';
