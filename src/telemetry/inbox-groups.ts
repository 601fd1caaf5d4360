/**
 * The telemetry inbox is split into this many groups of series (series_id mod INBOX_GROUPS): a commit appends to
 * one place per group, and a merge moves one group. Shared by the writer thread and the queries, which read a
 * series' unmerged points from its group. Changing it would misplace rows written under the old value: the
 * writer merges the whole inbox when it starts, so a change is safe only between runs.
 */
export const INBOX_GROUPS = 16;

export const inboxGroupOf = (seriesId: number): number => seriesId % INBOX_GROUPS;
