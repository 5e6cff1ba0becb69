# Everyday commands. `make run` and `make test` are the two a newcomer needs (see README).
VENV   ?= .venv
PY     := $(VENV)/bin/python
FLASK  := $(VENV)/bin/flask --app app
HOST   ?= 127.0.0.1
PORT   ?= 5000
export PYANNOTE_METRICS_ENABLED = false
export HF_HUB_OFFLINE = 1

.PHONY: run install runtime-packages system-packages db demo serve worker test test-fast test-postgres lint format bench bench-long bench-diarization bench-search bench-page bench-words bench-glossary eval-vad clean

## run: install, create the database, transcribe the demo hearing with the real model, serve the site
run: install runtime-packages db demo serve

$(VENV)/.installed: pyproject.toml constraints.txt
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# torch first and pinned: a looser requirement would pull the CUDA build (gigabytes).
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	# pyannote.audio pulls a CUDA build of torchaudio whose compiled libraries cannot load
	# without CUDA; pyannote only uses torchaudio's pure-Python parts, so drop the libraries.
	rm -f $(VENV)/lib/python3*/site-packages/torchaudio/lib/*.so
	touch $@

install: $(VENV)/.installed

# Debian packages, installed when running as root (a fresh machine or CI); otherwise named.
define apt_install
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  need=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || need="$$need $$p"; done; \
	  if [ -n "$$need" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$need >/dev/null; fi; \
	else echo "Not root: install $(1) yourself ($(2))."; fi
endef

## runtime-packages: what the site itself needs from Debian (Tesseract, to read scanned pages)
runtime-packages:
	$(call apt_install,tesseract-ocr tesseract-ocr-eng tesseract-ocr-spa,scanned pages are not read without it)

## system-packages: what the tests also use (browser, speech synthesis, media tools, Redis)
system-packages: runtime-packages
	$(call apt_install,chromium espeak-ng sox ffmpeg redis-server fonts-dejavu-core,tests that need them skip)

db: install
	# Creates the database, or upgrades an existing one in place: nothing stored is lost.
	$(FLASK) db upgrade
	$(FLASK) users bootstrap

demo: install
	$(FLASK) demo

## serve: the site (gunicorn, a production server) and one worker; Ctrl-C stops both cleanly
serve: install
	@echo "Starting the worker and the site at http://$(HOST):$(PORT)/"
	@# The trap clears itself first: "kill 0" signals this shell too, and a trap that fires
	@# again on its own signal recursed until bash crashed ("Segmentation fault" on Ctrl-C).
	@trap 'trap - INT TERM EXIT; kill 0' INT TERM EXIT; \
	  $(FLASK) worker & \
	  HEARINGS_BIND=$(HOST):$(PORT) $(VENV)/bin/gunicorn -c python:hearings.gunicorn_config app:app

worker: install
	$(FLASK) worker

## test: the whole suite on SQLite (real model, real browser), then the web suite on PostgreSQL
test: install system-packages lint
	$(PY) -m pytest -q
	scripts/with_postgres.sh $(PY) -m pytest -q -m "not model and not browser" tests/web tests/hearings tests/jobs

test-fast: install
	$(PY) -m pytest -q -m "not model and not browser"

lint: install
	$(VENV)/bin/ruff check hearings transcription tests bench scripts app.py
	$(PY) -m mypy hearings transcription

format: install
	$(VENV)/bin/ruff format hearings transcription tests bench scripts app.py

## bench: speed of the full job against the bare engines on a 10+ minute recording
bench: install
	$(PY) bench/job_speed.py --diarizer auto
	$(PY) bench/transcription_speed.py

## bench-long: a 32-minute hearing-shaped file, then 2 and 6 copies joined (1 and 3 hours): speed and peak memory per stage
bench-long: install
	$(PY) bench/hearing_audio.py bench/results/hearing.wav
	$(PY) bench/stage_memory.py bench/results/hearing.wav
	$(PY) bench/stage_memory.py bench/results/hearing.wav --repeat 2
	$(PY) bench/stage_memory.py bench/results/hearing.wav --repeat 6

## bench-search: search at 1,000 hearing-hours, service and page p95 under every filter, SQLite then PostgreSQL
bench-search: install
	$(PY) bench/search_speed.py
	scripts/with_postgres.sh $(PY) bench/search_speed.py

## bench-page: a 3-hour hearing's page, public and clerk, each chunk, against the whole transcript
bench-page: install
	$(PY) bench/hearing_page.py
	scripts/with_postgres.sh $(PY) bench/hearing_page.py

## bench-words: a 3-hour hearing's words as rows against one packed array a line: bytes per hour, time to read them all
bench-words: install
	$(PY) bench/word_storage.py

bench-diarization: install
	$(PY) bench/diarization_eval.py
	$(PY) bench/diarization_default.py

## bench-glossary: WER and names recognised with and without a glossary of local names
bench-glossary: install
	$(PY) bench/glossary_wer.py

eval-vad: install
	$(PY) bench/vad_wer.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
