"""SIP screening and STIR/SHAKEN server: a carrier's switch sends each INVITE, ringfence answers.

transport (UDP, TCP) ──> server (transactions) ──> rules (ingress, trunk)
                               │                ──> auth (verify / sign Identity)
                               │                ──> the shared screener
                               └─> answers (302 + verstat / label, 603, 608, 4xx)
"""
