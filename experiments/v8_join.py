"""V8 of experiments/README.md, as it was built: C4 x 3 and V7 x 3 joined into one six-member
ensemble through train.assemble's own stages (logits averaged, temperature refitted on every
corpus's validation speakers, the test speakers heard once). A record of the experiment, not a
reproduction path of the shipped weights: `python experiments/v8_join.py runs/v8_probe` from the
repository root, with runs/c4_x3 and runs/v7_x3 present. V10 is the same join heard through the WPE
front end: `python experiments/v8_join.py runs/v10_probe --dereverb wpe`."""
import json
import sys
from dataclasses import replace
from pathlib import Path
import torch
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from emotion.checkpoint import load_checkpoint, read_config
from emotion.model import M5Ensemble
from train.config import TrainConfig
from train.reports import write_reports
from train.run import calibrate_and_save, checkpoint_metadata, load_split, record_metrics, write_run_record
torch.set_num_threads(2)
parts = ["runs/c4_x3", "runs/v7_x3"]
out = Path(sys.argv[1])
dereverb = sys.argv[3] if sys.argv[2:3] == ["--dereverb"] else ""
configs = [read_config(p) for p in parts]
last = configs[-1]["training"]
n = sum(c["ensemble_size"] for c in configs)
cfg = TrainConfig(**{k: v for k, v in last["config"].items() if k in TrainConfig.__dataclass_fields__})
cfg = replace(cfg, ensemble=n, out=str(out), dereverb=dereverb)
device = torch.device("cpu")
members = []
for p in parts:
    m = load_checkpoint(p, device)[0]
    members += list(m.members)
model = M5Ensemble(members[0].config, n)
for t, s in zip(model.members, members):
    t.load_state_dict(s.state_dict())
model.eval()
command = " && ".join(c["training"]["command"] for c in configs)
split = last["split"]
write_run_record(out / "run", cfg, command, split)
(out / "run" / "log.jsonl").write_text("".join((Path(p) / "run" / "log.jsonl").read_text() for p in parts))
bests = [{"epoch": e} for c in configs for e in c["training"]["best_epoch"]]
secs = sum(c["training"]["train_seconds"] for c in configs)
md = checkpoint_metadata(cfg, command, split, bests, secs, device)
data = load_split(cfg, split)
metrics = {**calibrate_and_save(model, md, data, out, device), "best_epoch": md["training"]["best_epoch"], "train_seconds": secs}
record_metrics(out, metrics)
write_reports(out)
print(json.dumps({k: (round(v["accuracy"], 3), round(v.get("uar", 0), 3)) for k, v in metrics.items() if isinstance(v, dict)}))
