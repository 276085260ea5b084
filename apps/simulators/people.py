"""Fake people the simulated outside world is made of: names drawn by seeded generators
(the DICT's seeded directory, the payers of simulated inbound Pix), in plain ASCII-able
Portuguese so BR Codes and messages stay simple."""

FIRST_NAMES = (
    "Ana", "Beatriz", "Bruno", "Camila", "Carlos", "Daniela", "Eduardo", "Fernanda", "Gabriel",
    "Helena", "Igor", "Juliana", "João", "Larissa", "Lucas", "Mariana", "Mateus", "Natália",
    "Otávio", "Paula", "Pedro", "Rafaela", "Renato", "Sofia", "Thiago", "Valéria", "Vinícius",
)  # fmt: skip
SURNAMES = (
    "Almeida", "Alves", "Araújo", "Barbosa", "Cardoso", "Carvalho", "Costa", "Dias", "Ferreira",
    "Gomes", "Lima", "Martins", "Melo", "Nascimento", "Oliveira", "Pereira", "Ribeiro", "Rocha",
    "Santos", "Silva", "Souza", "Teixeira",
)  # fmt: skip
