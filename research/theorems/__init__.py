"""Claims that must hold for every network, tested on thousands of random networks each.

One module per claim family, each returning tidy tables that research/studies/theorems.py turns
into the study's report: nets.py draws stacked random networks; plane_claims.py counts decision
regions in the whole plane (Nguyen, Mukkamala & Hein 2018; Johnson 2019); stable_units.py decides
exactly whether a second-layer ReLU unit is stably unactivated (Brownlowe et al. 2024);
region_growth.py counts linear regions in a box (Hanin & Rolnick 2019); linking.py tracks the
linking number of two rings through width-3 layers (Ren & Lim 2026). The library never reads
configs: every function takes plain values.
"""
