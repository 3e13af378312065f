import { isStorableText } from '../db/safe-text';
import { badInput } from '../errors';

/** What a reviewer concludes of a break-glass use or an anomaly (docs/audit.md, "Reviews"). */
export const REVIEW_OUTCOMES = ['JUSTIFIED', 'NOT_JUSTIFIED', 'REFERRED'] as const;
export type ReviewOutcome = (typeof REVIEW_OUTCOMES)[number];

export interface Review {
  outcome: ReviewOutcome;
  note: string;
}

const MAX_NOTE = 2000;

/** The outcome (any case, stored upper-case) and note (1-2000 characters, storable text), or BAD_USER_INPUT. */
export function parseReview(outcome: string, note: string): Review {
  const upper = outcome.trim().toUpperCase();
  if (!(REVIEW_OUTCOMES as readonly string[]).includes(upper)) {
    throw badInput(`outcome must be one of ${REVIEW_OUTCOMES.join(', ')}`, 'outcome');
  }
  const text = note.trim();
  if (text.length < 1 || [...text].length > MAX_NOTE) throw badInput(`note must be 1 to ${MAX_NOTE} characters`, 'note');
  if (!isStorableText(text)) throw badInput('note contains characters that cannot be stored', 'note');
  return { outcome: upper as ReviewOutcome, note: text };
}
