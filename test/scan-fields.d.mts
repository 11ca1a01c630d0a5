export declare const COMPARED: readonly string[];
export declare function brief(d: Record<string, unknown>, fields?: readonly string[]): string;
