"""Seeds the tagging rules editors start from; they stay editable in the admin.

Keywords are matched on whole words, folded (see cms/monitoring/tagging.py);
`*` at a word's end or start stands for any letters. The INN stems (WHO's
naming of biologics) carry the most signal in regulatory news: -mab for
monoclonal antibodies, -gene and -vec for gene therapies, -leucel and -temcel
for engineered cells, -meran for mRNA vaccines, -rsen and -siran for
oligonucleotides.
"""

from django.db import migrations

FIELD_RULES = {
    "monoclonal-antibodies": ["monoclonal antibod*", "*mab", "*mabs", "bispecific antibod*"],
    "antibody-drug-conjugates": [
        "antibody drug conjugate*",
        "adc",
        "adcs",
        "*vedotin",
        "*deruxtecan",
        "*soravtansine",
        "*ozogamicin",
        "*govitecan",
        "*tesirine",
        "*mafodotin",
    ],
    "vaccines": ["vaccin*", "immunisation", "immunization", "immunise", "immunize"],
    "mrna": ["mrna", "messenger rna", "self amplifying rna", "*meran"],
    "cell-therapy": ["cell therap*", "car t", "cart cell*", "autologous", "allogeneic", "*leucel", "*temcel", "stem cell*", "tils"],
    "gene-therapy": ["gene therap*", "gene editing", "crispr", "gene transfer", "*vec", "*ogene", "*agene", "voretigene"],
    "viral-vectors": ["viral vector*", "aav*", "adeno associated", "lentivir*", "adenoviral vector*", "*parvovec"],
    "plasmid-dna": ["plasmid*", "pdna"],
    "recombinant-proteins": [
        "recombinant",
        "fusion protein*",
        "insulin*",
        "*poetin",
        "*grastim",
        "interferon*",
        "somatropin",
        "growth hormone",
        "*bercept",
        "*nercept",
        "*tacept",
    ],
    "enzymes": ["enzyme replacement", "*ase alfa", "*ase beta", "enzyme*"],
    "biosimilars": ["biosimilar*"],
    "plasma-derived": ["plasma derived", "immunoglobulin*", "albumin", "clotting factor*", "plasma fractionation"],
    "oligonucleotides": ["oligonucleotide*", "sirna", "antisense", "*rsen", "*siran"],
    "tissue-engineering": ["tissue engineer*", "organoid*", "scaffold*"],
    "live-biotherapeutics": ["microbiome", "live biotherapeutic*", "bacteriophage*", "phage therap*", "faecal microbiota", "fecal microbiota"],
    "nanomedicine": ["lipid nanoparticle*", "lnp", "lnps", "liposom*", "nanomedicine*"],
    "cell-line-development": ["cell line*", "cho cell*", "clone selection"],
    "upstream-processing": ["upstream", "bioreactor*", "cell culture", "perfusion"],
    "fermentation": ["fermentation", "microbial expression", "e coli", "yeast expression"],
    "downstream-processing": ["downstream", "purification", "chromatography"],
    "fill-finish": ["fill finish", "fill and finish", "aseptic filling", "lyophilis*", "lyophiliz*", "prefilled syringe*", "pre filled syringe*", "vial filling"],
    "formulation": ["formulation*", "drug delivery"],
    "analytics-qc": ["quality control", "release testing", "bioassay*", "analytical method*"],
    "continuous-processing": ["continuous manufactur*", "continuous bioprocess*", "continuous processing"],
    "single-use": ["single use"],
    "digitalisation": ["digital twin*", "artificial intelligence", "machine learning", "automation", "digitalisation", "digitalization"],
    "gmp-quality": ["gmp", "good manufacturing practice*", "qualified person", "pharmacovigilance"],
    "supply-chain": ["shortage*", "supply chain*", "cold chain"],
    "sustainability": ["sustainab*", "carbon footprint", "green manufactur*", "decarboni*"],
}

STAGE_RULES = {
    "training": ["training", "skills", "apprentice*", "curriculum", "upskilling", "reskilling"],
    "research": ["clinical trial*", "preclinical", "phase 1", "phase 2", "phase i", "phase ii", "discovery"],
    "process-development": ["process development", "scale up", "tech transfer", "technology transfer", "process validation"],
    "production": ["manufacturing site*", "manufacturing capacity", "production capacity", "manufacturing plant*", "cdmo", "cdmos", "gmp"],
    "post-commercialisation": [
        "marketing authori*",
        "authorises",
        "authorizes",
        "approval",
        "reimburs*",
        "market access",
        "health technology assessment",
        "pricing",
    ],
}


def seed(apps, schema_editor):
    TaggingRule = apps.get_model("monitoring", "TaggingRule")
    Field = apps.get_model("community", "Field")
    Stage = apps.get_model("community", "Stage")
    if TaggingRule.objects.exists():
        return
    fields = {f.slug: f for f in Field.objects.all()}
    stages = {s.slug: s for s in Stage.objects.all()}
    for slug, words in FIELD_RULES.items():
        if slug in fields:
            TaggingRule.objects.create(field=fields[slug], keywords="\n".join(words), note="Default rule.")
    for slug, words in STAGE_RULES.items():
        if slug in stages:
            TaggingRule.objects.create(stage=stages[slug], keywords="\n".join(words), note="Default rule.")


class Migration(migrations.Migration):
    dependencies = [
        ("monitoring", "0001_feeds_items_rules"),
        ("community", "0002_seed_value_chain_and_fields"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
