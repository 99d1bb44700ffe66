/** The part of asciichart 1.5 (CommonJS, no bundled types) that beamscope uses. */
declare module 'asciichart' {
  export interface PlotConfig {
    /** Rows of the chart; always pass it: the default is the value range (millions of rows for bytes). */
    height?: number;
    /** Widen (never clip) the y range. */
    min?: number;
    max?: number;
    offset?: number;
    padding?: string;
    /** Label of a y-axis tick. */
    format?: (x: number, i: number) => string;
    /** ANSI colour per series, cycled. */
    colors?: string[];
    symbols?: string[];
  }
  interface AsciiChart {
    plot(series: number[] | number[][], cfg?: PlotConfig): string;
    black: string;
    red: string;
    green: string;
    yellow: string;
    blue: string;
    magenta: string;
    cyan: string;
    lightgray: string;
    reset: string;
  }
  const asciichart: AsciiChart;
  export default asciichart;
}
