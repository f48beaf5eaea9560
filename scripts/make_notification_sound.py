"""Write app/web/static/web/notification.wav: the short two-note chime the
agent UI plays on a new notification (when the agent opted in). Synthesized
here, so the project ships no third-party audio: run it again to change it.

    python scripts/make_notification_sound.py
"""

import math
import os
import struct
import wave

RATE = 16000
NOTES = ((880.0, 0.12), (1318.5, 0.22))  # A5 then E6: short, clearly a "ping"
VOLUME = 0.35
TARGET = os.path.join(os.path.dirname(__file__), "..", "app", "web", "static", "web", "notification.wav")


def samples():
    for freq, seconds in NOTES:
        count = int(RATE * seconds)
        for i in range(count):
            t = i / RATE
            # A quick attack and an exponential decay, so no click at either end.
            envelope = min(1.0, i / (RATE * 0.005)) * math.exp(-4.0 * t / seconds) * (1 - i / count)
            yield VOLUME * envelope * math.sin(2 * math.pi * freq * t)


def main():
    frames = b"".join(struct.pack("<h", int(max(-1.0, min(1.0, s)) * 32767)) for s in samples())
    with wave.open(TARGET, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(frames)
    print(f"wrote {os.path.normpath(TARGET)} ({len(frames)} bytes of audio)")


if __name__ == "__main__":
    main()
