/** The time source of the service. Tests pass their own to move through token lifetimes. */
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();

export const toSeconds = (date: Date): number => Math.floor(date.getTime() / 1000);
