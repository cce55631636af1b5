"""``avbench export NAME --split S --to hf DIR``: a split as a Hugging Face dataset (extra ``[hf]``)."""

from __future__ import annotations

import click

__all__ = ["COMMANDS"]


@click.command("export")
@click.argument("name")
@click.option("--split", "split", required=True, help="the split to export (e.g. test)")
@click.option("--to", "fmt", type=click.Choice(["hf"]), default="hf", show_default=True,
              help="the format: hf = Hugging Face datasets (save_to_disk)")
@click.argument("out_dir", type=click.Path(file_okay=False))
@click.option("--data-dir", default=None, help="the avbench data directory (default $AVBENCH_DATA)")
@click.option("--push", "push", default=None, metavar="REPO", help="also upload to this Hub repository (user/name)")
@click.option("--token", default=None, help="Hub token for --push (default: huggingface_hub's usual lookup)")
def export_cmd(name: str, split: str, fmt: str, out_dir: str, data_dir: str | None, push: str | None,
               token: str | None) -> None:
    """Write split SPLIT of dataset NAME to OUT_DIR: audio, labels, events and the missing-video masks as columns."""
    from avbench.export import export_hf

    out = export_hf(name, split, out_dir, data_dir=data_dir, push_to_hub=push, token=token)
    click.echo(f"wrote {name} {split} to {out}" + (f" and pushed it to {push}" if push else ""))


COMMANDS = [export_cmd]
