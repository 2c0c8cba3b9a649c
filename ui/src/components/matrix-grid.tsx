/**
 * The fleet matrix as a virtualised ARIA grid: only the rows and columns in view (plus the
 * focused cell) are in the DOM, so 200 clusters × 100 components stays fast. Arrow keys,
 * Home/End and Page Up/Down move between cells; Enter opens a cell's history or a component.
 */
import { defaultRangeExtractor, useVirtualizer, type Range } from '@tanstack/react-virtual';
import { useCallback, useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { cellView, TONE_ICON } from '../core/cell.js';
import type { Matrix } from '../core/matrix.js';
import { href } from '../core/route.js';
import { navigate } from '../router.js';

const ROW_HEIGHT = 44;
const COLUMN_WIDTH = 116;
const ROW_HEADER_WIDTH = 190;
const STAGE_HEADER_HEIGHT = 28;
const HEADER_HEIGHT = STAGE_HEADER_HEIGHT + 34;
const PAGE_ROWS = 10;

interface Position {
  /** Index into matrix.components. */
  row: number;
  /** -1 is the row header (the component's name); 0… are clusters. */
  column: number;
}

const withIndex = (index: number) => (range: Range) => {
  const indexes = defaultRangeExtractor(range);
  if (index >= 0 && !indexes.includes(index)) indexes.push(index);
  return indexes.sort((a, b) => a - b);
};

export function MatrixGrid({ matrix, label }: { matrix: Matrix; label: string }) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const [active, setActive] = useState<Position>({ row: 0, column: 0 });
  const shouldFocus = useRef(false);
  const rowCount = matrix.components.length;
  const columnCount = matrix.clusters.length;
  const current: Position = { row: Math.min(active.row, rowCount - 1), column: Math.min(active.column, columnCount - 1) };

  const rows = useVirtualizer({
    count: rowCount,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    paddingStart: HEADER_HEIGHT,
    scrollPaddingStart: HEADER_HEIGHT,
    overscan: 4,
    rangeExtractor: withIndex(current.row),
  });
  const columns = useVirtualizer({
    horizontal: true,
    count: columnCount,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => COLUMN_WIDTH,
    paddingStart: ROW_HEADER_WIDTH,
    scrollPaddingStart: ROW_HEADER_WIDTH,
    overscan: 2,
    rangeExtractor: withIndex(current.column),
  });

  useEffect(() => {
    if (!shouldFocus.current) return;
    shouldFocus.current = false;
    scrollRef.current?.querySelector<HTMLElement>(`[data-row="${current.row}"][data-column="${current.column}"]`)?.focus({ preventScroll: true });
  });

  const open = useCallback(
    (position: Position) => {
      const component = matrix.components[position.row];
      const cluster = matrix.clusters[position.column];
      if (component === undefined) return;
      navigate(position.column < 0 || cluster === undefined ? href.component(component) : href.ledger({ cluster, component }));
    },
    [matrix],
  );

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    let { row, column } = current;
    switch (e.key) {
      case 'ArrowRight':
        column = Math.min(column + 1, columnCount - 1);
        break;
      case 'ArrowLeft':
        column = Math.max(column - 1, -1);
        break;
      case 'ArrowDown':
        row = Math.min(row + 1, rowCount - 1);
        break;
      case 'ArrowUp':
        row = Math.max(row - 1, 0);
        break;
      case 'PageDown':
        row = Math.min(row + PAGE_ROWS, rowCount - 1);
        break;
      case 'PageUp':
        row = Math.max(row - PAGE_ROWS, 0);
        break;
      case 'Home':
        column = -1;
        if (e.ctrlKey) row = 0;
        break;
      case 'End':
        column = columnCount - 1;
        if (e.ctrlKey) row = rowCount - 1;
        break;
      case 'Enter':
      case ' ':
        e.preventDefault();
        open(current);
        return;
      default:
        return;
    }
    e.preventDefault();
    shouldFocus.current = true;
    setActive({ row, column });
    rows.scrollToIndex(row);
    // The row header is sticky: it is always in view horizontally.
    if (column >= 0) columns.scrollToIndex(column);
  };

  const isActive = (row: number, column: number) => current.row === row && current.column === column;
  const virtualColumns = columns.getVirtualItems();
  const totalWidth = columns.getTotalSize();

  return (
    <div
      ref={scrollRef}
      className="matrix"
      role="grid"
      aria-label={label}
      aria-rowcount={rowCount + 2}
      aria-colcount={columnCount + 1}
      onKeyDown={onKeyDown}
    >
      <div className="matrix-canvas" style={{ height: rows.getTotalSize(), width: totalWidth }}>
        <div className="matrix-head" style={{ width: totalWidth, height: HEADER_HEIGHT }}>
          <div role="row" aria-rowindex={1} className="matrix-stage-row" style={{ height: STAGE_HEADER_HEIGHT }}>
            <div role="columnheader" aria-colindex={1} className="matrix-corner" style={{ width: ROW_HEADER_WIDTH, height: HEADER_HEIGHT }}>
              Component \ cluster
            </div>
            {matrix.groups.map((g) => (
              <div
                key={g.stage}
                role="columnheader"
                aria-colindex={g.start + 2}
                aria-colspan={g.count}
                className="matrix-stage"
                style={{ left: ROW_HEADER_WIDTH + g.start * COLUMN_WIDTH, width: g.count * COLUMN_WIDTH, height: STAGE_HEADER_HEIGHT }}
              >
                <span className="matrix-stage-name">
                  {g.stage} <span className="muted">({g.count})</span>
                </span>
              </div>
            ))}
          </div>
          <div role="row" aria-rowindex={2} className="matrix-cluster-row" style={{ top: STAGE_HEADER_HEIGHT, height: HEADER_HEIGHT - STAGE_HEADER_HEIGHT }}>
            {virtualColumns.map((c) => {
              const name = matrix.clusters[c.index] ?? '';
              return (
                <div key={c.key} role="columnheader" aria-colindex={c.index + 2} className="matrix-cluster" style={{ left: c.start, width: COLUMN_WIDTH }}>
                  <a href={href.cluster(name)} tabIndex={-1} title={name} onClick={(e) => (e.preventDefault(), navigate(href.cluster(name)))}>
                    {name}
                  </a>
                </div>
              );
            })}
          </div>
        </div>
        {rows.getVirtualItems().map((r) => {
          const component = matrix.components[r.index] ?? '';
          return (
            <div key={r.key} role="row" aria-rowindex={r.index + 3} className="matrix-row" style={{ top: r.start, height: ROW_HEIGHT, width: totalWidth }}>
              <div
                role="rowheader"
                aria-colindex={1}
                className="matrix-rowheader"
                style={{ width: ROW_HEADER_WIDTH }}
                tabIndex={isActive(r.index, -1) ? 0 : -1}
                data-row={r.index}
                data-column={-1}
                onClick={() => open({ row: r.index, column: -1 })}
                onFocus={() => setActive({ row: r.index, column: -1 })}
                title={`Open ${component}`}
              >
                <span className="link-like">{component}</span>
              </div>
              {virtualColumns.map((c) => {
                const cluster = matrix.clusters[c.index] ?? '';
                const item = matrix.at(r.index, c.index);
                const common = {
                  role: 'gridcell',
                  'aria-colindex': c.index + 2,
                  tabIndex: isActive(r.index, c.index) ? 0 : -1,
                  'data-row': r.index,
                  'data-column': c.index,
                  'data-component': component,
                  'data-cluster': cluster,
                  onFocus: () => setActive({ row: r.index, column: c.index }),
                  style: { left: c.start, width: COLUMN_WIDTH, height: ROW_HEIGHT },
                } as const;
                if (!item) {
                  return (
                    <div key={c.key} {...common} className="matrix-cell is-empty" aria-label={`${component} is not on ${cluster}`}>
                      <span aria-hidden="true">·</span>
                    </div>
                  );
                }
                const view = cellView(item);
                return (
                  <div
                    key={c.key}
                    {...common}
                    className={`matrix-cell tone-${view.tone}${view.isDrifted ? ' is-drifted' : ''}${view.isSkewed ? ' is-skewed' : ''}`}
                    aria-label={view.label}
                    title={view.label}
                    data-tone={view.tone}
                    data-applied={view.applied ?? ''}
                    data-desired={view.desired ?? ''}
                    onClick={() => open({ row: r.index, column: c.index })}
                  >
                    <span className="cell-line" aria-hidden="true">
                      <span className="cell-icon">{TONE_ICON[view.tone]}</span>
                      <span className="cell-version">{view.applied ?? '—'}</span>
                      {view.isDrifted && <span className="cell-flag" title="drifted">⚠</span>}
                      {view.isSkewed && <span className="cell-flag" title="versions differ within the stage">≠</span>}
                    </span>
                    {view.desired !== null && (
                      <span className="cell-desired" aria-hidden="true">
                        → {view.desired}
                      </span>
                    )}
                  </div>
                );
              })}
            </div>
          );
        })}
      </div>
    </div>
  );
}
