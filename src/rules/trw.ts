import type { EngineConfig } from './config.js';

/**
 * The Threshold Random Walk (Jung, Paxson, Berger, Balakrishnan, "Fast
 * Portscan Detection Using Sequential Hypothesis Testing", IEEE S&P 2004):
 * each first contact's outcome multiplies the likelihood ratio of
 * "scanner" over "benign" by theta1/theta0 on success and by
 * (1-theta1)/(1-theta0) on failure. We keep its logarithm. Crossing
 * ln(PD/PF) means scanner. The score is floored at ln((1-PD)/(1-PF)), the
 * benign bound, so that a long history of successes cannot hide a host
 * that starts scanning later (it then needs only a handful of failures).
 */
export class Trw {
  readonly success: number;
  readonly failure: number;
  readonly upper: number;
  readonly lower: number;

  constructor(cfg: EngineConfig['trw']) {
    this.success = Math.log(cfg.theta1 / cfg.theta0);
    this.failure = Math.log((1 - cfg.theta1) / (1 - cfg.theta0));
    this.upper = Math.log(cfg.detectionProbability / cfg.falsePositiveProbability);
    this.lower = Math.log((1 - cfg.detectionProbability) / (1 - cfg.falsePositiveProbability));
  }

  step(score: number, succeeded: boolean): number {
    const next = score + (succeeded ? this.success : this.failure);
    return next < this.lower ? this.lower : next;
  }
}
