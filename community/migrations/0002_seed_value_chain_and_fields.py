"""Seeds the value chain and the fields taxonomy; both stay editable in the admin.

Fields are the modalities and technologies of health biomanufacturing. Where
CORDIS's euroSciVoc vocabulary has the concept, its code is kept, so projects
and news tagged with euroSciVoc can be mapped onto the platform's fields.
"""

from django.db import migrations

STAGES = [
    ("training", "Training", "Education, vocational training and skills for biomanufacturing."),
    ("research", "Research and development", "Discovery, preclinical and clinical research."),
    (
        "process-development",
        "Process development and industrialisation",
        "Process design, scale-up, technology transfer and validation.",
    ),
    ("production", "Production", "GMP manufacturing of drug substance and drug product."),
    (
        "post-commercialisation",
        "Post-commercialisation",
        "Regulation, health systems, sustainability and patient access.",
    ),
]

# slug, name, category, euroSciVoc code, keywords (one tagging rule per line)
FIELDS = [
    ("monoclonal-antibodies", "Monoclonal antibodies", "modality", "", "monoclonal antibod\nmab\nantibody"),
    ("antibody-drug-conjugates", "Antibody-drug conjugates", "modality", "", "antibody-drug conjugate\nadc\nbioconjugat"),
    ("vaccines", "Vaccines", "modality", "/21/35/159/653/1439", "vaccin\nimmunisation\nimmunization"),
    ("mrna", "mRNA", "modality", "", "mrna\nmessenger rna\nself-amplifying rna"),
    ("cell-therapy", "Cell therapy", "modality", "/21/37/163", "cell therap\ncar-t\ncar t\nstem cell\nsomatic cell"),
    ("gene-therapy", "Gene therapy", "modality", "/21/37/165/659", "gene therap\ngene editing\ncrispr\ngene transfer"),
    ("viral-vectors", "Viral vectors", "modality", "", "viral vector\naav\nadeno-associated\nlentivir\nadenovir"),
    ("plasmid-dna", "Plasmid DNA", "modality", "", "plasmid\npdna"),
    (
        "recombinant-proteins",
        "Recombinant proteins",
        "modality",
        "/23/49/315/997/1613",
        "recombinant protein\ninsulin\nepoetin\ngrowth hormone\ninterferon\nfusion protein",
    ),
    ("enzymes", "Enzymes", "modality", "/23/49/315/997/1613/1617", "enzyme\nenzyme replacement"),
    ("biosimilars", "Biosimilars", "modality", "", "biosimilar"),
    ("plasma-derived", "Plasma-derived medicines", "modality", "", "plasma\nimmunoglobulin\nalbumin\nclotting factor"),
    (
        "oligonucleotides",
        "Oligonucleotides and nucleic acids",
        "modality",
        "/23/49/315/997/1609",
        "oligonucleotide\nsirna\nantisense\nnucleic acid",
    ),
    ("tissue-engineering", "Tissue engineering", "modality", "/21/37/167", "tissue engineer\ntissue-engineered\nscaffold\norganoid"),
    (
        "live-biotherapeutics",
        "Live biotherapeutics and microbiome",
        "modality",
        "",
        "microbiome\nlive biotherapeutic\nprobiotic\nbacteriophage\nphage therapy",
    ),
    ("nanomedicine", "Lipid nanoparticles and nanomedicine", "modality", "/21/37/171", "lipid nanoparticle\nlnp\nnanomedicine\nliposom"),
    ("cell-line-development", "Cell line development", "technology", "", "cell line\nclone selection\ncho cell\nhost cell"),
    ("upstream-processing", "Upstream processing", "technology", "/25/71/443/1195", "upstream\nbioreactor\ncell culture\nperfusion"),
    ("fermentation", "Microbial fermentation", "technology", "/25/61/385/1151", "fermentation\nmicrobial expression\ne. coli\nyeast expression"),
    ("downstream-processing", "Downstream processing", "technology", "", "downstream\npurification\nchromatography\nfiltration"),
    ("fill-finish", "Fill-finish", "technology", "", "fill-finish\nfill and finish\nfill & finish\naseptic filling\nlyophilis\nlyophiliz"),
    ("formulation", "Formulation and drug delivery", "technology", "", "formulation\ndrug delivery\nexcipient"),
    ("analytics-qc", "Analytics and quality control", "technology", "", "analytic\nquality control\nqc testing\nbioassay\nrelease testing\ncharacterisation"),
    ("continuous-processing", "Continuous processing", "technology", "", "continuous manufactur\ncontinuous process\ncontinuous bioprocess"),
    ("single-use", "Single-use technologies", "technology", "", "single-use\nsingle use\ndisposable"),
    (
        "digitalisation",
        "Digitalisation, automation and AI",
        "technology",
        "",
        "digitalisation\ndigitalization\ndigital twin\nautomation\nartificial intelligence\nmachine learning\nprocess analytical technology\npat",
    ),
    ("gmp-quality", "GMP, quality and regulatory affairs", "technology", "", "gmp\ngood manufacturing practice\nregulatory\nmarketing authorisation\nqualified person"),
    ("supply-chain", "Cold chain and supply chain", "technology", "", "cold chain\nsupply chain\nlogistics\nshortage"),
    ("sustainability", "Sustainable manufacturing", "technology", "", "sustainab\ngreen manufactur\ncarbon footprint\nwaste reduction"),
]


def seed(apps, schema_editor):
    Stage = apps.get_model("community", "Stage")
    Field = apps.get_model("community", "Field")
    for position, (slug, name, description) in enumerate(STAGES):
        Stage.objects.update_or_create(
            slug=slug, defaults={"name": name, "description": description, "position": position}
        )
    for position, (slug, name, category, code, keywords) in enumerate(FIELDS):
        Field.objects.update_or_create(
            slug=slug,
            defaults={
                "name": name,
                "category": category,
                "euroscivoc_code": code,
                "keywords": keywords,
                "position": position,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("community", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
