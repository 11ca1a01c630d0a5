import { silenceMeansOpenFiltered, Technique } from '../rules/techniques.js';
import { Flow, FlowMeta, type FlowTable } from '../state/flow-table.js';
import { fillFromEnded, Observation, type ObservationSink, Observe } from './observation.js';

/**
 * What a probe flow's end means, once it has left the table (expired,
 * evicted, or the input ended): a lone segment never answered is a probe
 * nmap reads as filtered; an answered contact the initiator never sent
 * payload on is empty; a probe with no answer at all was met by silence.
 * Judged by the engine after the insert or sweep that ended the flow
 * (state/ended-flows.ts), with its own observation.
 */
export class EndedFlowClassifier {
  private readonly o = new Observation();

  constructor(
    private readonly flows: FlowTable,
    private readonly sink: ObservationSink,
  ) {}

  /** Judges every ended flow waiting (more may end while it does: they are judged too). */
  judgeAll(): void {
    const ended = this.flows.ended;
    while (ended.size > 0) {
      const i = ended.oldest;
      const meta = ended.meta(i);
      const kind = this.kindOf(meta);
      if (kind !== 0) {
        fillFromEnded(this.o, ended, i, this.flows);
        ended.shift();
        this.o.kind = kind;
        this.o.rejected = false;
        this.sink.observe(this.o);
      } else {
        ended.shift();
      }
    }
  }

  /** The observation an ended flow makes (Observe), or 0 for none. */
  private kindOf(meta: number): number {
    const fl = FlowMeta.flags(meta);
    const tech = FlowMeta.technique(meta);
    if (fl & Flow.CANDIDATE) {
      // A lone segment never answered: nmap reads this as "filtered". (A second
      // segment from the initiator would have turned the flow into MIDSTREAM.)
      // An unsolicited SYN-ACK counts only when a RST answers it (idle scan).
      return tech === Technique.IDLE_SCAN ? 0 : Observe.CANDIDATE;
    }
    // An answered contact that ends without the initiator's payload is empty.
    if ((fl & (Flow.PROBE | Flow.ANSWERED)) === (Flow.PROBE | Flow.ANSWERED)) return FlowMeta.contactJudged(meta) ? 0 : Observe.CONTACT_END;
    if ((fl & Flow.PROBE) === 0 || (fl & (Flow.ANSWERED | Flow.REJECTED)) !== 0) return 0;
    // Only full records care about silence; a probation source's one silent
    // probe changes nothing. (Checking the flow's mark first spares a flood of
    // one-probe sources a table lookup per expiry; the cost is that the first
    // probe of a source promoted later is not counted as silent. A FIN, NULL
    // or XMAS probe's silence (any whose silence means open|filtered) is looked up anyway: it names an open|filtered
    // port the report lists.)
    return FlowMeta.ownerTracked(meta) || silenceMeansOpenFiltered(tech) ? Observe.SILENCE : 0;
  }
}
