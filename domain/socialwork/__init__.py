"""Social work: stations, agency placements, the social-worker register and supervision."""

from domain.audit import labels

labels.register(
    actions={
        "agency.place": "社工机构驻点",
        "agency.end_placement": "结束驻点",
        "social_worker.register": "登记社工",
        "supervision.log": "记录督导",
    },
    object_types={"SocialWorker": "社工"},
)
