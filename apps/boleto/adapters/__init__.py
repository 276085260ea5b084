"""The outside world of boletos: the CIP registry (Nova Plataforma de Cobranca, `cip.py`)
and COMPE clearing (`compe.py`).

Each is an interface with a production client here; the simulators live in
apps/simulators/cip/ and apps/simulators/compe/, and settings pick one by name
(BOLETO_CIP_CLIENT, BOLETO_COMPE_CLIENT: "simulator", "http" or a dotted path; see
apps.core.adapters), so that no domain code imports a simulator.
"""
