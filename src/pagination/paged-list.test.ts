import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CursorCodec } from './cursor.js';
import { pagedListRequest, resolvePagedList, type ListHints, type ListPage } from './paged-list.js';
import type { Connection, PageArgs } from './plan.js';

interface Item {
  id: string;
}
const item = (id: string): Item => ({ id });
const codec = new CursorCodec({ current: 'test-key-'.repeat(4), previous: [] });

/** A newest-first list that pages like Altostrat's and records which pages were asked for, by wave. */
class FakeList {
  runs: Item[];
  waves: number[][] = [];
  /** Called between the count that gives a page's total and the select that gives its runs (Laravel's two queries). */
  betweenCountAndSelect: (list: FakeList, page: number) => void = () => {};
  private created = 0;
  private askedInRequest = 0;
  private requests = 0;
  constructor(
    size: number,
    public perPage: number,
    /** Called before each page is answered, with the request's number and its pages asked so far. */
    private beforeAnswer: (list: FakeList, request: number, asked: number) => void = () => {},
  ) {
    this.runs = [];
    this.insert(size);
  }
  insert(count: number): void {
    const fresh = Array.from({ length: count }, () => item(`r${this.created++}`));
    this.runs = [...fresh.reverse(), ...this.runs];
  }
  /** The oldest runs leave the list (Altostrat keeps runs 90 days). */
  ageOut(count: number): void {
    this.runs = this.runs.slice(0, this.runs.length - count);
  }
  fetchPage = (page: number): Promise<ListPage<Item>> => {
    this.beforeAnswer(this, this.requests, ++this.askedInRequest);
    const total = this.runs.length;
    this.betweenCountAndSelect(this, page);
    const start = (page - 1) * this.perPage;
    return Promise.resolve({ items: this.runs.slice(start, start + this.perPage), page, perPage: this.perPage, total });
  };
  /** Resolves one request, counting the pages of each wave (the calls made before any answer). */
  async resolve(args: PageArgs, hints: ListHints = {}): Promise<Connection<Item>> {
    const request = pagedListRequest('w', args, codec);
    const wave: number[] = [];
    this.waves.push(wave);
    this.askedInRequest = 0;
    this.requests++;
    let pending = 0;
    const page = await resolvePagedList(
      request,
      (n: number) => {
        if (pending === 0 && wave.length > 0) this.waves.push([]);
        this.waves.at(-1)!.push(n);
        pending++;
        return this.fetchPage(n).finally(() => pending--);
      },
      hints,
      codec,
    );
    return page!;
  }
}

const ids = (page: Connection<Item>) => page.edges.map((e) => e.node.id);
const cursorAt = (list: FakeList, index: number) =>
  codec.encodeRank({
    listId: 'w',
    rank: list.runs.length - 1 - index,
    total: list.runs.length,
    perPage: list.perPage,
    itemId: list.runs[index]!.id,
  });

/** The spec's algorithm over a plain array: ApplyCursorsToEdges, then first or last. */
function expected(all: string[], args: { first?: number; last?: number; afterIndex?: number; beforeIndex?: number }) {
  const start = args.afterIndex === undefined ? 0 : args.afterIndex + 1;
  const end = args.beforeIndex === undefined ? all.length : args.beforeIndex;
  const edges = all.slice(start, Math.max(start, end));
  if (args.last !== undefined) {
    const out = edges.slice(Math.max(0, edges.length - args.last));
    return { ids: out, hasPreviousPage: edges.length > args.last, hasNextPage: args.beforeIndex !== undefined };
  }
  const first = args.first ?? 20;
  return { ids: edges.slice(0, first), hasNextPage: edges.length > first, hasPreviousPage: args.afterIndex !== undefined };
}

const pagesOf = (from: number, to: number, perPage: number) => {
  const pages = new Set<number>();
  for (let i = from; i <= to; i++) pages.add(Math.floor(i / perPage) + 1);
  return [...pages].sort((a, b) => a - b);
};

describe('resolvePagedList over a list that does not change', () => {
  const scenario = fc
    .record({
      total: fc.nat(300),
      perPage: fc.integer({ min: 1, max: 40 }),
      count: fc.nat(100),
      forward: fc.boolean(),
      after: fc.option(fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), { nil: undefined }),
      before: fc.option(fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), { nil: undefined }),
      // The list's total as a read before this one saw it: right, stale or wrong.
      totalHint: fc.option(fc.nat(400), { nil: undefined }),
    })
    .map((s) => ({
      ...s,
      afterIndex: s.after === undefined || s.total === 0 ? undefined : Math.floor(s.after * s.total),
      beforeIndex: s.before === undefined || s.total === 0 ? undefined : Math.floor(s.before * s.total),
    }));

  it('returns what the spec says for any total, page size, cursors and first/last, whatever total it was told before', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const list = new FakeList(s.total, s.perPage);
        const all = list.runs.map((r) => r.id);
        const args = {
          [s.forward ? 'first' : 'last']: s.count,
          after: s.afterIndex === undefined ? undefined : cursorAt(list, s.afterIndex),
          before: s.beforeIndex === undefined ? undefined : cursorAt(list, s.beforeIndex),
        };
        const page = await list.resolve(args, s.totalHint === undefined ? {} : { perPage: s.perPage, total: s.totalHint });
        const want = expected(all, { [s.forward ? 'first' : 'last']: s.count, afterIndex: s.afterIndex, beforeIndex: s.beforeIndex });
        expect(ids(page)).toEqual(want.ids);
        expect(page.pageInfo.hasNextPage).toBe(want.hasNextPage);
        expect(page.pageInfo.hasPreviousPage).toBe(want.hasPreviousPage);
        expect(page.totalCount).toBe(s.total);
        expect(page.pageInfo.startCursor).toBe(page.edges[0]?.cursor ?? null);
        expect(page.pageInfo.endCursor).toBe(page.edges.at(-1)?.cursor ?? null);
      }),
    );
  });

  it('fetches, in one wave, exactly the pages that hold the runs wanted after a cursor', async () => {
    await fc.assert(
      fc.asyncProperty(scenario.filter((s) => s.afterIndex !== undefined), async (s) => {
        const list = new FakeList(s.total, s.perPage);
        const first = Math.max(1, s.count);
        const page = await list.resolve({ first, after: cursorAt(list, s.afterIndex!) });
        const from = s.afterIndex! + 1;
        const to = Math.min(s.total - 1, s.afterIndex! + first);
        const wanted = to >= from ? pagesOf(from, to, s.perPage) : [Math.floor(s.afterIndex! / s.perPage) + 1];
        expect(list.waves).toEqual([wanted]);
        expect(page.edges).toHaveLength(Math.max(0, to - from + 1));
      }),
    );
  });

  it('fetches the pages from the head in one wave once the page size is known', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 100 }), async (total, perPage, first) => {
        const list = new FakeList(total, perPage);
        await list.resolve({ first }, { perPage });
        expect(list.waves).toEqual([pagesOf(0, first - 1, perPage)]);
      }),
    );
  });

  it('fetches from the head, in one wave, only the pages that hold runs, once the list’s page size and total are known', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(300), fc.integer({ min: 1, max: 40 }), fc.nat(100), async (total, perPage, first) => {
        const list = new FakeList(total, perPage);
        await list.resolve({ first }, { perPage, total });
        const wanted = Math.min(first, total);
        // Nothing wanted still reads page 1, for totalCount.
        expect(list.waves).toEqual([wanted === 0 ? [1] : pagesOf(0, wanted - 1, perPage)]);
      }),
    );
  });

  it('never asks for more pages for a total it was told, however wrong, than without it', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const args = (list: FakeList) => ({
          [s.forward ? 'first' : 'last']: s.count,
          after: s.afterIndex === undefined ? undefined : cursorAt(list, s.afterIndex),
          before: s.beforeIndex === undefined ? undefined : cursorAt(list, s.beforeIndex),
        });
        const [told, untold] = [new FakeList(s.total, s.perPage), new FakeList(s.total, s.perPage)];
        await told.resolve(args(told), { perPage: s.perPage, total: s.totalHint ?? 0 });
        await untold.resolve(args(untold), { perPage: s.perPage });
        expect(told.waves.flat().length).toBeLessThanOrEqual(untold.waves.flat().length);
      }),
    );
  });

  it('learns the page size from page 1 when nothing is known yet', async () => {
    const list = new FakeList(97, 15);
    const page = await list.resolve({ first: 20 });
    expect(list.waves).toEqual([[1], [2]]);
    expect(page.edges).toHaveLength(20);
  });

  it('plans `first: 20` after the 10th run on 15-run pages as pages 1 and 2, together', async () => {
    const list = new FakeList(97, 15);
    await list.resolve({ first: 20, after: cursorAt(list, 9) });
    expect(list.waves).toEqual([[1, 2]]);
  });

  it('plans from the page size the list last gave over the one a cursor carries', async () => {
    const list = new FakeList(97, 15);
    // Runs 3 to 22 are pages 1 and 2 of 15, but page 1 alone of 25.
    const after = cursorAt(list, 2);
    list.perPage = 25;
    await list.resolve({ first: 20, after }, { perPage: 25 });
    expect(list.waves).toEqual([[1]]);
  });

  it('refuses an answer for another page than the one asked for (UPSTREAM_ERROR), rather than misplace its runs', async () => {
    const list = new FakeList(97, 15);
    // Asked for page 2, it answers page 1 (and says so).
    const wrong = (page: number) => list.fetchPage(page === 2 ? 1 : page);
    const request = pagedListRequest('w', { first: 20 }, codec);
    const outcome = await resolvePagedList(request, wrong, { perPage: 15 }, codec).catch((error: unknown) => error);
    expect(outcome).toMatchObject({ extensions: { code: 'UPSTREAM_ERROR' } });
  });

  describe('starts over, every page afresh, when its pages disagree: no run twice, none lost', () => {
    /** `once` runs at the first select of page `page` only. */
    const racing = (list: FakeList, page: number, once: (list: FakeList) => void) => {
      let done = false;
      list.betweenCountAndSelect = (l, asked) => {
        if (asked === page && !done) {
          done = true;
          once(l);
        }
      };
    };

    it('a run arriving between the count and the select of page 2: a run at two positions', async () => {
      const list = new FakeList(39, 15);
      racing(list, 2, (l) => l.insert(1));
      const asked: Array<[number, boolean]> = [];
      const fetchPage = (n: number, fresh: boolean) => {
        asked.push([n, fresh]);
        return list.fetchPage(n);
      };
      const page = (await resolvePagedList(pagedListRequest('w', { first: 40 }, codec), fetchPage, { perPage: 15 }, codec))!;
      expect(ids(page)).toEqual(list.runs.map((r) => r.id));
      expect(asked).toEqual([[1, false], [2, false], [3, false], [1, true], [2, true], [3, true]]);
    });

    it('a run arriving between the count and the select of page 1: two runs at one position', async () => {
      const list = new FakeList(40, 15);
      racing(list, 1, (l) => l.insert(1));
      const page = await list.resolve({ first: 20 });
      expect(ids(page)).toEqual(list.runs.slice(0, 20).map((r) => r.id));
    });

    it('the oldest run aging out between two pages of one wave: a position no page holds', async () => {
      let aged = false;
      const list = new FakeList(40, 15, (l, _request, asked) => {
        if (asked !== 2 || aged) return;
        aged = true;
        l.ageOut(1);
      });
      const page = await list.resolve({ first: 20 }, { perPage: 15 });
      expect(ids(page)).toEqual(list.runs.slice(0, 20).map((r) => r.id));
    });
  });

  it('refuses a list whose pages never fit their own meta (UPSTREAM_ERROR), saying how', async () => {
    const list = new FakeList(40, 15);
    const overfull = (page: number) => list.fetchPage(page).then((answer) => ({ ...answer, perPage: 10 }));
    const outcome = await resolvePagedList(pagedListRequest('w', { first: 20 }, codec), overfull, { perPage: 10 }, codec).catch((error: unknown) => error);
    expect(outcome).toMatchObject({ extensions: { code: 'UPSTREAM_ERROR' }, message: expect.stringContaining('holds 15 runs where its meta (per_page 10, total 40) allows 10') });
  });

  it('reads the total from page 1 before taking the last runs', async () => {
    const list = new FakeList(97, 15);
    const page = await list.resolve({ last: 10 });
    expect(list.waves).toEqual([[1], [6, 7]]);
    expect(ids(page)).toEqual(list.runs.slice(87).map((r) => r.id));
  });
});

describe('walking while runs arrive at the head', () => {
  const walk = fc.record({
    total: fc.nat(200),
    perPage: fc.integer({ min: 1, max: 30 }),
    step: fc.integer({ min: 1, max: 60 }),
    // Runs that arrive before the first page a request asks for (between requests), cycled...
    between: fc.array(fc.nat(5), { minLength: 1, maxLength: 10 }),
    // ...and before its second page (while one request is being answered).
    during: fc.array(fc.nat(2), { minLength: 1, maxLength: 10 }),
    // Whether each request is told the page size and the total the one before it saw.
    hinted: fc.boolean(),
  });
  /** What a request is told: the page size and the total the request before it saw. */
  const hintsAfter = (hinted: boolean, list: FakeList, page: Connection<Item> | undefined): ListHints =>
    hinted && page ? { perPage: list.perPage, total: page.totalCount } : {};
  /** A list whose runs arrive as `walk` says, during the first 40 requests. */
  const arriving = (s: { total: number; perPage: number; between: number[]; during: number[] }) =>
    new FakeList(s.total, s.perPage, (list, request, asked) => {
      if (request > 40) return;
      if (asked === 1) list.insert(s.between[request % s.between.length]!);
      else if (asked === 2) list.insert(s.during[request % s.during.length]!);
    });

  it('gives a first page no previous page, though a run arrived while it was read (Relay: none without `after`)', async () => {
    const list = new FakeList(40, 15, (l, _request, asked) => asked === 2 && l.insert(1));
    const page = await list.resolve({ first: 20 }, { perPage: 15 });
    expect(page.totalCount).toBe(41);
    expect(page.pageInfo).toMatchObject({ hasPreviousPage: false, hasNextPage: true });
    expect(ids(page)[0]).toBe('r39'); // the head as page 1 showed it
  });

  it('forward with endCursor yields every run that was there at the start exactly once, in order', async () => {
    await fc.assert(
      fc.asyncProperty(walk, async (s) => {
        const list = arriving(s);
        const step = s.step;
        const original = list.runs.map((r) => r.id);
        const seen: string[] = [];
        let after: string | undefined;
        let reachedEnd = false;
        let last: Connection<Item> | undefined;
        for (let requests = 0; requests < 1000 && !reachedEnd; requests++) {
          const page = (last = await list.resolve({ first: step, after }, hintsAfter(s.hinted, list, last)));
          seen.push(...ids(page));
          reachedEnd = !page.pageInfo.hasNextPage;
          after = page.pageInfo.endCursor ?? after;
        }
        expect(reachedEnd).toBe(true);
        // Runs that arrived after the first page are ahead of the walk: only the first page may show some.
        const firstOriginal = seen.findIndex((id) => original.includes(id));
        expect(seen.slice(Math.max(0, firstOriginal)).filter((id) => original.includes(id))).toEqual(original);
        expect(new Set(seen).size).toBe(seen.length);
      }),
    );
  });

  it('backward with startCursor from the end yields every run exactly once, newest arrivals included', async () => {
    await fc.assert(
      fc.asyncProperty(walk, async (s) => {
        const list = arriving(s);
        const step = s.step;
        const pages: string[][] = [];
        let before: string | undefined;
        let reachedHead = false;
        let last: Connection<Item> | undefined;
        for (let requests = 0; requests < 1000 && !reachedHead; requests++) {
          const page = (last = await list.resolve({ last: step, before }, hintsAfter(s.hinted, list, last)));
          pages.unshift(ids(page));
          reachedHead = !page.pageInfo.hasPreviousPage;
          before = page.pageInfo.startCursor ?? before;
        }
        expect(reachedHead).toBe(true);
        const seen = pages.flat();
        // Every run is seen once, in list order, up to the head as the walk last saw it.
        expect(seen).toEqual(list.runs.slice(list.runs.length - seen.length).map((r) => r.id));
        expect(new Set(seen).size).toBe(seen.length);
      }),
    );
  });
});
