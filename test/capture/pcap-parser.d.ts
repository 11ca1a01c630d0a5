// Minimal typing for the untyped CommonJS devDependency used as a test oracle.
declare module 'pcap-parser' {
  import type { EventEmitter } from 'node:events';
  const pcapParser: { parse(input: string | NodeJS.ReadableStream): EventEmitter };
  export default pcapParser;
}
