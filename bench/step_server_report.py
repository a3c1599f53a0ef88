"""The tables ``step_server.py`` prints: frame batches, the sync callback against the no-op
callback, the first load, and the vetting tools; medians of the runs, with a legend under each.
"""

from __future__ import annotations


def heading(head: str) -> None:
    print(head)
    print("-" * len(head))


def print_tables(results: list[dict], n: int, repeats: int) -> None:
    print("\nFrame batches (what a step costs: the painter fetches these ahead of the cursor)")
    head = (f"{'file':9} {'stamp':>6} | {'mode':10} {'frames':>6} | {'batch ms':>8} {'srv':>6} | "
            f"{'srv/frame':>9} {'wire B/frame':>12} | {'frame B':>7}")
    heading(head)
    for r in results:
        for mode in ("flux", "difference"):
            print(f"{r['label'] if mode == 'flux' else '':9} "
                  f"{r['stamp'] if mode == 'flux' else '':>6} | {mode:10} "
                  f"{r[mode + '_batch_size']:6.0f} | {r[mode + '_batch_rtt']:8.2f} "
                  f"{r[mode + '_batch_srv']:6.2f} | {r[mode + '_frame_srv']:9.3f} "
                  f"{r[mode + '_frame_bytes']:12,.0f} | {r['frame_bytes']:7,}")
    print("  batch ms = round trip of one batch over loopback; srv = inside Flask; per frame = "
          "divided by the frames in the batch; wire B/frame = bytes sent per frame (pixels as "
          "float32 plus the readout's strings); frame B = rows*cols*4.")
    print(f"\nSync callback (Plotly's heatmap catching up when stepping pauses) vs no-op "
          f"callback: N={n} requests each, median of {repeats} run(s); "
          "times in ms (round trip over loopback HTTP; srv = Server-Timing inside Flask)")
    head = (f"{'file':9} {'stamp':>6} {'cadences':>8} | {'callback':8} {'p50':>6} {'p99':>6} "
            f"{'srv p50':>7} | {'wire B':>7} {'body B':>7} {'req B':>6} | {'frame B':>7} "
            f"{'b64 B':>6} | {'pixels ok':>9}")
    heading(head)
    for r in results:
        for kind in ("step", "noop"):
            first = kind == "step"
            print(f"{r['label'] if first else '':9} {r['stamp'] if first else '':>6} "
                  f"{r['cadences'] if first else '':>8} | {kind:8} {r[kind + '_p50']:6.2f} "
                  f"{r[kind + '_p99']:6.2f} {r[kind + '_srv']:7.2f} | "
                  f"{r[kind + '_bytes']:7,.0f} {r[kind + '_decoded']:7,.0f} "
                  f"{r['step_request'] if first else '':>6} | "
                  f"{r['frame_bytes'] if first else '':>7} {r['frame_b64'] if first else '':>6} | "
                  f"{('yes' if r['frames_ok'] else 'NO') if first else '':>9}")
        lo, hi = r["spread"]
        print(f"{'':9} {'':>6} {'':>8} | step minus no-op: {r['step_p50'] - r['noop_p50']:.2f} ms "
              f"p50; step p50 range over runs {lo:.2f}-{hi:.2f}")
    print("  wire B = response body as sent (compressed), body B = decoded, req B = the step's "
          "request body; frame B = rows*cols*4, b64 B = its base64 length.")
    print("\nFirst load: GET /_dash-layout (the page arrives with its figures drawn)")
    head = (f"{'file':9} | {'app build s':>11} | {'cold ms':>8} {'srv':>8} | {'warm ms':>8} "
            f"{'srv':>8} | {'wire B':>10} {'body B':>10} | {'1st step ms':>11} {'srv':>7}")
    heading(head)
    for r in results:
        print(f"{r['label']:9} | {r['startup']:11.2f} | {r['load_cold']:8.1f} "
              f"{r['load_cold_srv']:8.1f} | {r['load_rtt']:8.1f} {r['load_srv']:8.1f} | "
              f"{r['load_wire']:10,} {r['load_bytes']:10,} | {r['first_step']:11.1f} "
              f"{r['first_step_srv']:7.1f}")
    print("  app build = create_app (reading and opening the file); cold = the first call, warm = "
          "median of 5 per run; 1st step = the first step after the load, before warm-up: any "
          "per-file work done lazily lands there.")
    print("\nVetting (issue 5): difference-image sync steps (N=5 either side) and re-extraction "
          "after an aperture change (a 6x6 box selected: the view's owner, then the light curve)")
    head = (f"{'file':9} | {'diff step p50':>13} {'srv':>6} {'wire B':>7} | {'re-extract':>10} "
            f"{'srv':>6} {'wire B':>8}")
    heading(head)
    for r in results:
        print(f"{r['label']:9} | {r['diff_p50']:13.2f} {r['diff_srv']:6.2f} "
              f"{r['diff_bytes']:7,.0f} | {r['reextract_rtt']:10.1f} {r['reextract_srv']:6.1f} "
              f"{r['reextract_bytes']:8,.0f}")
