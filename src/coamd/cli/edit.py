"""``coamd edit``: regenerate part of a motion to match a text (paper-brief §3.8, extended).

Temporal edits (``--task`` or ``--keep``), body-part edits (``--joints``: keep those joints) and
trajectory control (``--trajectory``) can be combined. The output folder gets ``edited.<fmt>``, a
side-by-side ``compare.<preview>`` of source and result, and ``report.json`` (errors in cm).
"""

from __future__ import annotations

import argparse
import json

from ..atomic import folder_lock
from ..errors import CoamdError
from . import add_common, new_parser
from .args import add_sampling_args, sampling_from_args
from .generate import add_checkpoint, add_output, add_raw, check_out


def register(sub) -> None:
    p = new_parser(
        sub, "edit", "edit a motion: regenerate time ranges or body parts to match a text, or follow a path",
        ['coamd edit walk.npy --text "a person jumps" --task inpaint -o out/jump',
         'coamd edit walk.bvh --text "a person waves with the right hand" --joints lower -o out/wave',
         'coamd edit walk.npy --text "a person walks in a circle" --keep 0:1.5 --trajectory circle.npy -o out/c'],
    )
    p.add_argument("source", metavar="SOURCE", help="motion file (.npy joints, BVH, ASF/AMC, NTU .skeleton, ...)")
    p.add_argument("--text", required=True, help="what the edited motion should show")
    t = p.add_mutually_exclusive_group()
    t.add_argument("--task", choices=["inpaint", "outpaint", "prefix", "suffix"],
                   help="inpaint: regenerate the middle half; outpaint: the first and last quarters; "
                        "prefix: keep the first half; suffix: keep the last half")
    t.add_argument("--keep", metavar="RANGES", help="seconds to keep, e.g. 0:2.5,7:9 (the rest is regenerated)")
    p.add_argument("--joints", metavar="PARTS",
                   help="keep these joints from the source and regenerate the rest: upper, lower, left_arm, "
                        "right_arm, left_leg, right_leg, head, spine, or SMPL joint names (comma-separated)")
    p.add_argument("--trajectory", metavar="FILE.npy",
                   help="pelvis path to follow: (T, 2) x/z or (T, 3) metres at 20 fps")
    p.add_argument("--no-exact", dest="exact", action="store_false",
                   help="keep the decoder's result as it is (no final overwrite of kept joints / path snap)")
    add_sampling_args(p)
    add_raw(p)
    add_checkpoint(p)
    add_output(p)
    add_common(p, device=True, seed=True, threads=True)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..io import load_motion
    from ..skeleton import SMPL22
    from ..tasks import edit, load_bundle
    from ..tasks.edit import load_trajectory
    from ..tasks.edit_specs import parse_joints, parse_keep
    from ..tasks.generate import check_texts
    from ..tasks.outputs import parse_formats

    (text,) = check_texts([args.text], "--text")
    if not (args.task or args.keep or args.joints or args.trajectory):
        raise CoamdError("nothing to edit: give --task, --keep, --joints or --trajectory")
    formats = parse_formats(args.format)
    out = check_out(args.out, args.overwrite)
    source = load_motion(args.source)
    if args.keep is not None:
        parse_keep(args.keep, source.seconds)
    if args.joints is not None:
        parse_joints(args.joints, SMPL22)
    if args.trajectory is not None:
        load_trajectory(args.trajectory)
    sampling_from_args(args)
    from ..tasks.bundle import bundle_defaults
    from ..timing import configure_threads
    from .generate import needed_parts

    configure_threads(args.threads, 1)
    guidance = args.guidance if args.guidance is not None else float(bundle_defaults(args.checkpoint).get("guidance", 0))
    bundle = load_bundle(args.checkpoint, device=args.device, parts=needed_parts([1.0], guidance))
    with folder_lock(out, "output folder"):
        result = edit(bundle, source.joints, text, task=args.task, keep=args.keep, joints=args.joints,
                      trajectory=args.trajectory, seed=args.seed, sampling=sampling_from_args(args, bundle),
                      exact=args.exact, cleanup=not args.raw)
        result.save(out, formats, overwrite=args.overwrite)
    print(f"{out}: edited {result.report['seconds']} s ({result.report['regenerated_tokens']}/"
          f"{result.report['tokens']} tokens regenerated) as {','.join(formats)} + compare + report.json")
    print(json.dumps({k: v for k, v in result.report.items() if k.endswith(("_cm", "_decoded"))}))
    return 0
