import { AgencyKind } from '../agencies/agency-kind';

/** Agencies that receive disclosures: not police (who hold the intelligence) nor oversight bodies. */
const RECIPIENT_KINDS: readonly string[] = [AgencyKind.SOCIAL_CARE, AgencyKind.EDUCATION, AgencyKind.HEALTH, AgencyKind.VOLUNTARY];

/** True when an agency of this kind may be the recipient of a disclosure (or of a decision not to share). */
export const receivesDisclosures = (agencyKind: string): boolean => RECIPIENT_KINDS.includes(agencyKind);
