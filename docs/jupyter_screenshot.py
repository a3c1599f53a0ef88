"""Regenerate docs/jupyterlab.png: the dashboard in a real JupyterLab cell's output.

Starts ``jupyter lab`` as the notebook tests do (tests/browser/jupyter_page.py: loopback,
token-less, temporary HOME and Jupyter folders, jupyter-server-proxy on), writes a notebook whose
cell calls ``show()`` on the simulated demo, runs it with Shift+Enter in Debian's Chromium,
clicks the light curve at the cosmic ray's cadence inside the output and saves the window::

    python docs/jupyter_screenshot.py                      # writes docs/jupyterlab.png
    python docs/jupyter_screenshot.py --out /tmp/lab.png --size 1400x1100

It prints the frame's address (through Jupyter's /proxy/<port>/).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dashboard.data.demo import TRUTH, demo_tpf  # noqa: E402
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, READY  # noqa: E402
from tests.browser.jupyter_page import (  # noqa: E402
    CELL,
    InFrame,
    Jupyter,
    absent,
    open_notebook,
    run_cell,
)
from tests.browser.viewer_page import CURVE_POINT, click_curve, wait_frame  # noqa: E402

CODE = ("from dashboard import show\n"
        "show()  # the simulated demo; show(tpf, lc=...) for yours")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="1400x1050", help="window size (1400x1050)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "jupyterlab.png")
    args = parser.parse_args(argv)
    width, height = (int(v) for v in args.size.split("x"))
    if absent():
        print(f"Install {', '.join(absent())} first (pip install -e '.[test]').",
              file=sys.stderr)
        return 2

    from playwright.sync_api import sync_playwright

    demo = demo_tpf()
    frame_no = TRUTH["cosmic_ray"]["frame"]
    with tempfile.TemporaryDirectory(prefix="tpf-jupyter-shot-") as tmp:
        jupyter = Jupyter(Path(tmp))
        try:
            name = jupyter.notebook("blip.ipynb", CODE)
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                context = browser.new_context(viewport={"width": width, "height": height})
                page = open_notebook(context, jupyter.url + f"lab/tree/{name}")
                # The file browser folded away: the notebook gets the width.
                page.click(".jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current")
                jupyter.wait_kernel_ready(name)
                run_cell(page, 0)
                element = page.locator(f"{CELL} iframe.tpf-dashboard").element_handle(
                    timeout=60_000)
                frame = InFrame(page, element)
                frame.wait_for_function(READY, timeout=60_000)
                where = frame.evaluate(CURVE_POINT, [frame_no, None, None])
                click_curve(frame, where, demo.time[frame_no])
                wait_frame(frame, demo, frame_no)
                page.mouse.move(5, height - 5)  # no hover label over the curve
                page.wait_for_timeout(800)
                print(f"frame: {element.get_attribute('src')} -> {frame.url}")
                page.screenshot(path=str(args.out))
                browser.close()
        finally:
            jupyter.stop()
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
