import type { EngineConfig } from '../rules/config.js';
import type { Detection } from '../rules/detection.js';
import type { FlowTable } from '../state/flow-table.js';
import type { Probation } from '../state/probation.js';
import type { SourceTable } from '../state/source-table.js';
import { Admission } from './admission.js';
import type { DetectionBook } from './detection-book.js';
import { type Observation, type ObservationSink, Observe } from './observation.js';
import { Outcomes } from './outcomes.js';
import type { Recon } from './recon.js';
import { SiteFilters } from './site-filters.js';
import { Verdict } from './verdict.js';

/**
 * Source tracking: the one place observations enter (`observe`). Each
 * kind goes to the part that knows it: admission (probation, promotion,
 * held SYN flows), outcomes (answers, refusals, silence, what the prober
 * did next), and through both to the verdict, which opens detections in
 * the book. Nothing here is called back by a table: flows that end are
 * judged by the engine after the insert or sweep that ended them
 * (state/ended-flows.ts), a recycled source record's detections are
 * frozen before it is reused (Admission.promote), and the book's events
 * are dispatched by the engine.
 */
export class SourceTracker implements ObservationSink {
  readonly filters = new SiteFilters();
  readonly verdict: Verdict;
  readonly admission: Admission;
  readonly outcomes: Outcomes;

  constructor(
    config: EngineConfig,
    probation: Probation,
    sources: SourceTable<Detection>,
    flows: FlowTable,
    book: DetectionBook,
    recon: Recon,
    /** Probe packets by technique. */
    probes: Float64Array,
    /** Key of the IPv6 address hash: the decoder's (neighbour-advertisement targets are hashed with it). */
    ipv6HashKey: number,
  ) {
    this.verdict = new Verdict(config, book, recon, this.filters);
    this.admission = new Admission(probation, sources, flows, book, this.verdict, recon, this.filters, probes);
    this.outcomes = new Outcomes(probation, sources, this.admission, this.verdict, recon, ipv6HashKey);
  }

  /** Takes new thresholds and test bounds (the engine checked them); the counts are kept. */
  reconfigure(config: EngineConfig): void {
    this.verdict.reconfigure(config);
  }

  observe(o: Observation): void {
    switch (o.kind) {
      case Observe.PROBE:
        this.admission.probe(o);
        return;
      case Observe.ANSWER:
        this.outcomes.answer(o);
        return;
      case Observe.REJECT:
        this.outcomes.reject(o);
        return;
      case Observe.HANDSHAKE:
        this.outcomes.answerEvidence(o, true);
        return;
      case Observe.HALF_OPEN:
        this.outcomes.answerEvidence(o, false);
        return;
      case Observe.CONTACT_DATA:
        this.outcomes.contactData(o);
        return;
      case Observe.CONTACT_END:
        this.outcomes.contactEnded(o);
        return;
      case Observe.SILENCE:
        this.outcomes.silence(o);
        return;
      case Observe.CANDIDATE:
        this.admission.candidate(o);
        return;
      case Observe.NEIGHBOUR_ADVERT:
        this.outcomes.neighbourAdvert(o);
        return;
      case Observe.ARP_REPLY:
        this.outcomes.arpReply(o);
        return;
    }
  }

  /** Probe packets skipped by the allow-lists. */
  get allowListed(): number {
    return this.filters.allowListed;
  }
  get promoted(): number {
    return this.admission.promoted;
  }
  get probingSources(): Admission['probingSources'] {
    return this.admission.probingSources;
  }
}
